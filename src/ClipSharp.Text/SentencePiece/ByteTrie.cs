namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// An immutable byte trie over UTF-8 keys with an int value per key (the piece id), walked one byte at
/// a time like Darts' traverse. The root has a direct 256-entry table; every other edge lives in one
/// open-addressing hash table keyed by (node, byte), keys and targets interleaved, at most half full, so
/// a step is one multiply and usually one cache line, and a miss (how every walk ends) stops at the
/// first empty slot.
/// </summary>
internal sealed class ByteTrie
{
    private readonly int[] _root = new int[256];
    private readonly int[] _value;
    private readonly long[] _edges;   // (key = node·256 + byte) << 32 | target; EmptySlot where unused
    private readonly int _shift;
    private const long EmptySlot = -1;

    public ByteTrie(IEnumerable<(byte[] Key, int Value)> entries)
    {
        // Build with dictionaries, then flatten.
        var children = new List<Dictionary<byte, int>> { new() };
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
        if (children.Count > (int.MaxValue >> 8)) throw new InvalidDataException($"vocabulary trie has {children.Count} nodes, more than {int.MaxValue >> 8}");
        _value = values.ToArray();
        int edges = 0;
        for (int i = 1; i < children.Count; i++) edges += children[i].Count;
        int bits = 4;
        while ((1L << bits) < 2L * edges + 1) bits++;
        _shift = 64 - bits;
        _edges = new long[1 << bits];
        Array.Fill(_edges, EmptySlot);
        long mask = _edges.Length - 1;
        for (int node = 1; node < children.Count; node++)
            foreach (var (b, t) in children[node])
            {
                int key = node << 8 | b;
                long slot = Slot(key);
                while (_edges[slot] != EmptySlot) slot = (slot + 1) & mask;
                _edges[slot] = (long)key << 32 | (uint)t;
            }
        Array.Fill(_root, -1);
        foreach (var (b, t) in children[0]) _root[b] = t;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private long Slot(int key) => (long)(((ulong)(uint)key * 0x9E3779B97F4A7C15UL) >> _shift);

    /// <summary>The child of <paramref name="node"/> along <paramref name="label"/>, or -1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Next(int node, byte label)
    {
        if (node == 0) return _root[label];
        int key = node << 8 | label;
        var edges = _edges;
        long mask = edges.Length - 1;
        for (long slot = Slot(key); ; slot = (slot + 1) & mask)
        {
            long e = edges[slot];
            if (e == EmptySlot) return -1;
            if ((int)(e >> 32) == key) return (int)e;
        }
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
