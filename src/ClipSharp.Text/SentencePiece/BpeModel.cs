namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// sentencepiece's BPE encoder (src/bpe_model.cc, v0.1.97): the normalised text is split into
/// characters (a user-defined symbol is one frozen symbol), then the adjacent pair whose concatenation
/// is a piece with the highest score is merged, ties to the leftmost, until no pair is a piece.
/// A final symbol that is not a piece is unk (the processor turns it into byte pieces with byte_fallback).
/// Unused pieces are not re-segmented (the reference splits them back along their merge; no
/// published SigLIP vocabulary has unused pieces).
/// </summary>
internal sealed class BpeModel
{
    private readonly ByteTrie _pieces;      // normal, user-defined, unused
    private readonly ByteTrie? _userDefined;
    private readonly float[] _scores;

    private struct Symbol { public int Start, Length, Prev, Next, Node; public bool Freeze; }   // Node: the trie node its bytes reach, or -1

    [ThreadStatic] private static Symbol[]? t_symbols;
    [ThreadStatic] private static PriorityQueue<(int Left, int Right, int Size, int Node), (float Score, int Left)>? t_agenda;

    private sealed class AgendaOrder : IComparer<(float Score, int Left)>
    {
        public static readonly AgendaOrder Instance = new();
        // Highest score first; equal scores: smallest left first.
        public int Compare((float Score, int Left) a, (float Score, int Left) b) =>
            a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left);
    }

    public BpeModel(IReadOnlyList<Piece> pieces)
    {
        _scores = pieces.Select(p => p.Score).ToArray();
        _pieces = new ByteTrie(pieces.Select((p, i) => (p, i))
            .Where(x => x.p.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused)
            .Select(x => (System.Text.Encoding.UTF8.GetBytes(x.p.Text), x.i)));
        var uds = pieces.Where(p => p.Type == PieceType.UserDefined).Select(p => (System.Text.Encoding.UTF8.GetBytes(p.Text), 1)).ToList();
        if (uds.Count > 0) _userDefined = new ByteTrie(uds);
    }

    /// <summary>The trie node reached from <paramref name="node"/> along <paramref name="s"/>, or -1.</summary>
    private int Walk(int node, ReadOnlySpan<byte> s)
    {
        foreach (byte b in s) { if (node < 0) return -1; node = _pieces.Next(node, b); }
        return node;
    }

    /// <summary>Appends (start, length, id) with id −1 where the symbol is not a piece.</summary>
    public void Encode(ReadOnlySpan<byte> s, List<(int Start, int Length, int Id)> output)
    {
        if (s.IsEmpty) return;
        var sym = t_symbols;
        if (sym == null || sym.Length < s.Length) t_symbols = sym = new Symbol[Math.Max(s.Length, 256)];
        int count = 0;
        for (int pos = 0; pos < s.Length;)
        {
            int len = 0; bool freeze = false;
            if (_userDefined != null) { len = _userDefined.LongestPrefix(s[pos..], out _); freeze = len > 0; }
            if (len == 0) len = Math.Min(s.Length - pos, Normalizer.OneCharLen(s[pos]));
            sym[count] = new Symbol { Start = pos, Length = len, Prev = count - 1, Freeze = freeze, Node = Walk(0, s.Slice(pos, len)) };
            pos += len;
            sym[count].Next = pos >= s.Length ? -1 : count + 1;
            count++;
        }
        var agenda = t_agenda ??= new PriorityQueue<(int, int, int, int), (float, int)>(AgendaOrder.Instance);
        agenda.Clear();
        for (int i = 1; i < count; i++) MaybeAdd(s, sym, agenda, i - 1, i);
        while (agenda.TryDequeue(out var top, out _))
        {
            ref var l = ref sym[top.Left];
            ref var r = ref sym[top.Right];
            if (l.Length == 0 || r.Length == 0 || l.Length + r.Length != top.Size) continue;
            l.Length += r.Length;
            l.Node = top.Node;
            l.Next = r.Next;
            if (r.Next >= 0) sym[r.Next].Prev = top.Left;
            r.Length = 0;
            MaybeAdd(s, sym, agenda, l.Prev, top.Left);
            MaybeAdd(s, sym, agenda, top.Left, l.Next);
        }
        for (int i = 0; i != -1; i = sym[i].Next)
            output.Add((sym[i].Start, sym[i].Length, sym[i].Node < 0 ? -1 : _pieces.Value(sym[i].Node)));
    }

    private void MaybeAdd(ReadOnlySpan<byte> s, Symbol[] sym, PriorityQueue<(int, int, int, int), (float, int)> agenda, int left, int right)
    {
        if (left == -1 || right == -1 || sym[left].Freeze || sym[right].Freeze) return;
        // The pair's bytes are the left symbol's (already walked to its node) followed by the right's.
        int node = Walk(sym[left].Node, s.Slice(sym[right].Start, sym[right].Length));
        int id = node < 0 ? -1 : _pieces.Value(node);
        if (id < 0) return;
        agenda.Enqueue((left, right, sym[left].Length + sym[right].Length, node), (_scores[id], left));
    }
}
