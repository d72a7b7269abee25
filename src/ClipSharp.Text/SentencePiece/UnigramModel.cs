namespace ClipSharp.Text.SentencePiece;

/// <summary>
/// sentencepiece's unigram Viterbi (src/unigram_model.cc, Model::EncodeOptimized, v0.1.97): for every
/// character start, every vocabulary piece (normal, user-defined; unused ones skipped) that begins
/// there extends the best path ending at its end. A user-defined piece scores length·max_score − 0.1
/// (max_score over normal pieces, starting at FLT_MIN, so ≈ −0.1); a character no piece covers becomes
/// unk with score min_score − 10. Score arithmetic follows the reference's float/double mix.
/// </summary>
internal sealed class UnigramModel
{
    private const float UnkPenalty = 10.0f;
    private readonly ByteTrie _trie;
    private readonly PieceType[] _types;
    private readonly float[] _scores;
    private readonly float _maxScore;
    private readonly float _unkScore;
    private readonly int _unkId;

    [ThreadStatic] private static Node[]? t_nodes;

    private struct Node { public int Id; public float Score; public int StartsAt; }

    public UnigramModel(IReadOnlyList<Piece> pieces, int unkId)
    {
        _unkId = unkId;
        _types = pieces.Select(p => p.Type).ToArray();
        _scores = pieces.Select(p => p.Score).ToArray();
        float min = float.MaxValue, max = 1.17549435E-38f;   // FLT_MAX, FLT_MIN as the reference
        foreach (var p in pieces)
            if (p.Type == PieceType.Normal) { min = Math.Min(min, p.Score); max = Math.Max(max, p.Score); }
        _maxScore = max;
        _unkScore = min - UnkPenalty;
        _trie = new ByteTrie(pieces.Select((p, i) => (p, i))
            .Where(x => x.p.Type is PieceType.Normal or PieceType.UserDefined or PieceType.Unused)
            .Select(x => (System.Text.Encoding.UTF8.GetBytes(x.p.Text), x.i)));
    }

    /// <summary>Appends (start, length, id) of the best segmentation of <paramref name="s"/> (normalised UTF-8).</summary>
    public void Encode(ReadOnlySpan<byte> s, List<(int Start, int Length, int Id)> output)
    {
        int size = s.Length;
        if (size == 0) return;
        var nodes = t_nodes;
        if (nodes == null || nodes.Length < size + 1) t_nodes = nodes = new Node[Math.Max(size + 1, 256)];
        for (int i = 0; i <= size; i++) nodes[i] = new Node { Id = -1, Score = 0, StartsAt = -1 };
        int startsAt = 0;
        while (startsAt < size)
        {
            float tillHere = nodes[startsAt].Score;
            bool hasSingle = false;
            int mblen = Math.Min(Normalizer.OneCharLen(s[startsAt]), size - startsAt);
            int node = 0;
            for (int keyPos = startsAt; keyPos < size;)
            {
                node = _trie.Next(node, s[keyPos]);
                keyPos++;
                if (node < 0) break;
                int id = _trie.Value(node);
                if (id < 0) continue;
                var type = _types[id];
                if (type == PieceType.Unused) continue;
                int length = keyPos - startsAt;
                double score = type == PieceType.UserDefined ? length * _maxScore - 0.1 : _scores[id];
                double candidate = score + tillHere;
                ref var target = ref nodes[keyPos];
                if (target.StartsAt == -1 || candidate > target.Score)
                {
                    target.Score = (float)candidate;
                    target.StartsAt = startsAt;
                    target.Id = id;
                }
                if (!hasSingle && length == mblen) hasSingle = true;
            }
            if (!hasSingle)
            {
                ref var target = ref nodes[startsAt + mblen];
                float candidate = _unkScore + tillHere;
                if (target.StartsAt == -1 || candidate > target.Score)
                {
                    target.Score = candidate;
                    target.StartsAt = startsAt;
                    target.Id = _unkId;
                }
            }
            startsAt += mblen;
        }
        int first = output.Count;
        // Backtrack; adjacent unknown characters merge into one unk piece, as the reference's
        // lattice output does (python sentencepiece gives one 0 for a run of unknown characters).
        for (int end = size; end > 0;)
        {
            var n = nodes[end];
            int last = output.Count - 1;
            if (n.Id == _unkId && last >= first && output[last].Id == _unkId)
                output[last] = (n.StartsAt, output[last].Length + end - n.StartsAt, _unkId);
            else output.Add((n.StartsAt, end - n.StartsAt, n.Id));
            end = n.StartsAt;
        }
        output.Reverse(first, output.Count - first);
    }
}
