namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// An immutable byte trie over UTF-8 keys with an int value per key (the piece id), walked one byte at
/// a time like Darts' traverse. Children of a node are sorted labels in one flat array; the root has a
/// direct 256-entry table.
/// </summary>
internal sealed class ByteTrie
{
    private readonly int[] _root = new int[256];
    private readonly int[] _childStart, _childCount, _value;
    private readonly byte[] _labels;
    private readonly int[] _targets;

    public ByteTrie(IEnumerable<(byte[] Key, int Value)> entries)
    {
        // Build with dictionaries, then flatten.
        var children = new List<SortedDictionary<byte, int>> { new() };
        var values = new List<int> { -1 };
        foreach (var (key, value) in entries)
        {
            if (key.Length == 0) continue;
            int node = 0;
            foreach (byte b in key)
            {
                if (!children[node].TryGetValue(b, out int next))
                {
                    next = children.Count;
                    children.Add(new());
                    values.Add(-1);
                    children[node][b] = next;
                }
                node = next;
            }
            if (values[node] < 0) values[node] = value;   // first occurrence wins, as sentencepiece's piece map
        }
        int n = children.Count, edges = 0;
        _childStart = new int[n]; _childCount = new int[n]; _value = values.ToArray();
        foreach (var c in children) edges += c.Count;
        _labels = new byte[edges]; _targets = new int[edges];
        int at = 0;
        for (int i = 0; i < n; i++)
        {
            _childStart[i] = at; _childCount[i] = children[i].Count;
            foreach (var (b, t) in children[i]) { _labels[at] = b; _targets[at] = t; at++; }
        }
        Array.Fill(_root, -1);
        foreach (var (b, t) in children[0]) _root[b] = t;
    }

    /// <summary>The child of <paramref name="node"/> along <paramref name="label"/>, or -1.</summary>
    public int Next(int node, byte label)
    {
        if (node == 0) return _root[label];
        int s = _childStart[node], e = s + _childCount[node];
        for (int i = s; i < e; i++)
        {
            byte l = _labels[i];
            if (l == label) return _targets[i];
            if (l > label) break;
        }
        return -1;
    }

    /// <summary>The value stored at <paramref name="node"/>, or -1 when no key ends there.</summary>
    public int Value(int node) => _value[node];

    /// <summary>The length of the longest key that is a prefix of <paramref name="s"/> (0 when none), and its value.</summary>
    public int LongestPrefix(ReadOnlySpan<byte> s, out int value)
    {
        int node = 0, best = 0; value = -1;
        for (int i = 0; i < s.Length; i++)
        {
            node = Next(node, s[i]);
            if (node < 0) break;
            int v = _value[node];
            if (v >= 0) { best = i + 1; value = v; }
        }
        return best;
    }
}
