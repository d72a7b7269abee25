using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Dupes;

/// <summary>Two ids (A &lt; B) whose vectors have cosine similarity <see cref="Score"/>.</summary>
public readonly record struct DuplicatePair(long A, long B, float Score);

/// <summary>A connected component of duplicate pairs: ids ascending, and the lowest pair score inside it.</summary>
public sealed record DuplicateGroup(long[] Ids, float MinScore);

/// <summary>Finds near-duplicate vectors in a <see cref="VectorIndex"/>.</summary>
public static class DuplicateFinder
{
    /// <summary>
    /// All pairs with score ≥ <paramref name="threshold"/>, sorted by score desc then (A, B). Exact
    /// indexes compare every pair (rows split over threads); HNSW indexes look up each vector's
    /// <paramref name="maxNeighbours"/> nearest neighbours, so very large clusters may be incomplete.
    /// </summary>
    public static List<DuplicatePair> FindPairs(VectorIndex index, float threshold, int maxNeighbours = 32, int threads = 1)
    {
        if (!(threshold > -1 && threshold <= 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be in (-1, 1]");
        var found = new List<DuplicatePair>[index.Count];
        var ids = index.Ids.ToArray();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) };
        if (index.Graph is { } graph)
        {
            Parallel.For(0, ids.Length, options, r =>
            {
                var list = new List<DuplicatePair>();
                foreach (var hit in graph.Search(index.Matrix.GetRow(r), maxNeighbours + 1, threshold))
                    if (hit.Id != ids[r]) list.Add(ids[r] < hit.Id ? new(ids[r], hit.Id, hit.Score) : new(hit.Id, ids[r], hit.Score));
                found[r] = list;
            });
        }
        else
        {
            var m = index.Matrix;
            Parallel.For(0, ids.Length, options, () => (Q: new float[m.Dimension], S: new float[VectorKernels.BlockRows], T: new float[m.Dimension]),
                (r, _, buf) =>
                {
                    var list = new List<DuplicatePair>();
                    m.CopyRow(r, buf.Q);
                    for (int first = r + 1; first < m.Rows; first += VectorKernels.BlockRows)
                    {
                        int n = Math.Min(VectorKernels.BlockRows, m.Rows - first);
                        m.Score(first, buf.S.AsSpan(0, n), buf.Q, buf.T);
                        for (int i = 0; i < n; i++)
                            if (buf.S[i] >= threshold) list.Add(new(ids[r], ids[first + i], buf.S[i]));
                    }
                    found[r] = list;
                    return buf;
                }, _ => { });
        }
        // an HNSW pair may be found from both ends: keep one, with the higher score
        var all = found.SelectMany(l => l).GroupBy(p => (p.A, p.B)).Select(g => g.MaxBy(p => p.Score)).ToList();
        all.Sort((x, y) => x.Score != y.Score ? y.Score.CompareTo(x.Score) : x.A != y.A ? x.A.CompareTo(y.A) : x.B.CompareTo(y.B));
        return all;
    }

    /// <summary>Connected components (union–find) of the pairs; largest first, then by smallest id.</summary>
    public static List<DuplicateGroup> Group(IEnumerable<DuplicatePair> pairs)
    {
        var parent = new Dictionary<long, long>();
        long Find(long x)
        {
            if (!parent.TryGetValue(x, out var p)) { parent[x] = x; return x; }
            if (p == x) return x;
            var root = Find(p);
            parent[x] = root;
            return root;
        }
        var list = pairs.ToList();
        foreach (var p in list)
        {
            long a = Find(p.A), b = Find(p.B);
            if (a != b) parent[Math.Max(a, b)] = Math.Min(a, b);
        }
        var minScore = new Dictionary<long, float>();
        foreach (var p in list)
        {
            long root = Find(p.A);
            minScore[root] = minScore.TryGetValue(root, out var s) ? Math.Min(s, p.Score) : p.Score;
        }
        return parent.Keys.GroupBy(Find)
            .Select(g => new DuplicateGroup(g.OrderBy(x => x).ToArray(), minScore[g.Key]))
            .OrderByDescending(g => g.Ids.Length).ThenBy(g => g.Ids[0]).ToList();
    }
}
