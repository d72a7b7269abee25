using System.Collections.Concurrent;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Hnsw;

// Letters: D vector dimension, M links per upper-layer node (2M on layer 0), n node number.

/// <summary>
/// Hierarchical Navigable Small World graph (Malkov &amp; Yashunin) over unit vectors, similarity =
/// dot product (cosine). Nodes are numbered in insertion order; each carries a caller label (an image
/// id). A node's level is drawn from a seeded counter-based generator, so building from the same
/// vectors in the same order gives the same graph. Deletion marks a node: it still routes searches but is
/// never returned; <see cref="Rebuild"/> compacts. Searches may run concurrently with each other but
/// not with <see cref="Add"/> / <see cref="Remove"/>.
/// </summary>
public sealed partial class HnswIndex
{
    private static readonly int[] NoLinks = [];
    private const int MaxLevelCap = 30;

    private readonly HnswParameters _p;
    private float[] _vectors = [];   // (capacity, D), unit rows
    private long[] _labels = [];
    private int[] _levels = [];
    private bool[] _deleted = [];
    private int[] _links0 = [];      // (capacity, 2M + 1): [count, neighbours...]
    private int[][] _upper = [];     // node → (level, M + 1) for layers 1..level
    private int _count, _entry = -1, _maxLevel = -1, _deletedCount;
    private readonly Dictionary<long, int> _nodeOf = new();
    private readonly ConcurrentBag<VisitedSet> _visitedPool = new();

    public HnswIndex(int dimension, HnswParameters? parameters = null)
    {
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be positive");
        Dimension = dimension;
        _p = parameters ?? new HnswParameters();
    }

    public int Dimension { get; }
    public HnswParameters Parameters => _p;

    /// <summary>Live (not deleted) vectors.</summary>
    public int Count => _count - _deletedCount;

    /// <summary>Nodes including deleted ones.</summary>
    public int NodeCount => _count;

    public int DeletedCount => _deletedCount;

    /// <summary>Deleted nodes / all nodes (0 when empty); callers rebuild above a threshold.</summary>
    public double DeletedFraction => _count == 0 ? 0 : (double)_deletedCount / _count;

    /// <summary>Highest layer in the graph (-1 when empty).</summary>
    public int MaxLevel => _maxLevel;

    public bool Contains(long label) => _nodeOf.ContainsKey(label);

    /// <summary>Labels of the live vectors, in node order.</summary>
    public IEnumerable<long> Labels
    {
        get { for (int n = 0; n < _count; n++) if (!_deleted[n]) yield return _labels[n]; }
    }

    /// <summary>The stored (normalised) vector of a live label.</summary>
    public float[] GetVector(long label) =>
        _nodeOf.TryGetValue(label, out int n) ? Vec(n).ToArray() : throw new KeyNotFoundException($"label {label} is not in the index");

    /// <summary>Level of node number <paramref name="node"/>: ⌊−ln(u)·mL⌋ with u ∈ (0, 1] from SplitMix64(Seed, node).</summary>
    public static int LevelFor(ulong seed, int node, double levelMultiplier)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (ulong)(node + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double u = ((z >> 11) + 1) * (1.0 / (1UL << 53));
        return Math.Min(MaxLevelCap, (int)(-Math.Log(u) * levelMultiplier));
    }

    /// <summary>Inserts a vector (normalised on the way in) under a label not currently live.</summary>
    public void Add(long label, ReadOnlySpan<float> vector)
    {
        if (vector.Length != Dimension) throw new ArgumentException($"vector has length {vector.Length}, index dimension is {Dimension}");
        if (_nodeOf.ContainsKey(label)) throw new ArgumentException($"label {label} is already in the index; Remove it first");
        var unit = VectorKernels.Normalized(vector, $"vector for label {label}");

        int node = _count;
        EnsureCapacity(node + 1);
        unit.CopyTo(_vectors.AsSpan(node * Dimension, Dimension));
        int level = LevelFor(_p.Seed, node, _p.LevelMultiplier);
        _labels[node] = label;
        _levels[node] = level;
        _deleted[node] = false;
        _links0[node * (_p.MaxM0 + 1)] = 0;
        _upper[node] = level == 0 ? NoLinks : new int[level * (_p.M + 1)];
        _count++;
        _nodeOf[label] = node;

        if (_entry < 0) { _entry = node; _maxLevel = level; return; }

        ReadOnlySpan<float> q = Vec(node);
        int ep = _entry;
        for (int lc = _maxLevel; lc > level; lc--) ep = Greedy(q, ep, lc);
        for (int lc = Math.Min(level, _maxLevel); lc >= 0; lc--)
        {
            var found = SearchLayer(q, ep, _p.EfConstruction, lc, excludeDeleted: false);
            var chosen = SelectNeighbours(found, _p.M);
            var mine = Links(node, lc);
            mine[0] = chosen.Count;
            for (int i = 0; i < chosen.Count; i++) mine[1 + i] = chosen[i];
            foreach (int e in chosen) Connect(e, node, lc);
            ep = found[0].Node;
        }
        if (level > _maxLevel) { _entry = node; _maxLevel = level; }
    }

    /// <summary>Marks a label deleted (it keeps routing searches, never appears in results). Returns false if absent.</summary>
    public bool Remove(long label)
    {
        if (!_nodeOf.Remove(label, out int node)) return false;
        _deleted[node] = true;
        _deletedCount++;
        return true;
    }

    /// <summary>A new index holding only the live vectors, re-inserted in node order with the same parameters.</summary>
    public HnswIndex Rebuild()
    {
        var fresh = new HnswIndex(Dimension, _p);
        fresh.EnsureCapacity(Count);
        for (int n = 0; n < _count; n++)
            if (!_deleted[n]) fresh.Add(_labels[n], Vec(n));
        return fresh;
    }

    /// <summary>
    /// Approximate top-k by cosine: labels of live vectors with score ≥ <paramref name="minScore"/>,
    /// best first, ties by lower label. <paramref name="efSearch"/> defaults to the index parameter and
    /// is raised to k.
    /// </summary>
    public ScoredId[] Search(ReadOnlySpan<float> query, int k, float minScore = float.NegativeInfinity, int? efSearch = null)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive");
        if (query.Length != Dimension) throw new ArgumentException($"query has length {query.Length}, index dimension is {Dimension}");
        if (Count == 0) return [];
        var q = VectorKernels.Normalized(query, "query");
        int ep = _entry;
        for (int lc = _maxLevel; lc >= 1; lc--) ep = Greedy(q, ep, lc);
        int ef = Math.Max(efSearch ?? _p.EfSearch, k);
        var found = SearchLayer(q, ep, ef, 0, excludeDeleted: true);
        var top = new TopK(k);
        foreach (var (n, s) in found)
            if (s >= minScore) top.Offer(_labels[n], s);
        return top.ToSortedArray();
    }

    private ReadOnlySpan<float> Vec(int node) => _vectors.AsSpan(node * Dimension, Dimension);

    private float Sim(ReadOnlySpan<float> q, int node) => VectorKernels.Dot(q, Vec(node));

    /// <summary>Slot [0] is the link count, slots [1..] the neighbours.</summary>
    private Span<int> Links(int node, int level) => level == 0
        ? _links0.AsSpan(node * (_p.MaxM0 + 1), _p.MaxM0 + 1)
        : _upper[node].AsSpan((level - 1) * (_p.M + 1), _p.M + 1);

    private void EnsureCapacity(int needed)
    {
        if (needed <= _labels.Length) return;
        int cap = Math.Max(needed, Math.Max(16, _labels.Length * 2));
        Array.Resize(ref _vectors, cap * Dimension);
        Array.Resize(ref _labels, cap);
        Array.Resize(ref _levels, cap);
        Array.Resize(ref _deleted, cap);
        Array.Resize(ref _links0, cap * (_p.MaxM0 + 1));
        Array.Resize(ref _upper, cap);
    }

    /// <summary>Hill-climb on one layer: move to the best neighbour until none improves.</summary>
    private int Greedy(ReadOnlySpan<float> q, int ep, int level)
    {
        float best = Sim(q, ep);
        bool moved = true;
        while (moved)
        {
            moved = false;
            var links = Links(ep, level);
            for (int i = 1; i <= links[0]; i++)
            {
                int nb = links[i];
                float s = Sim(q, nb);
                if (s > best) { best = s; ep = nb; moved = true; }
            }
        }
        return ep;
    }

    /// <summary>
    /// Algorithm 2 (SEARCH-LAYER): best-first search from <paramref name="ep"/> keeping the
    /// <paramref name="ef"/> most similar nodes; returned most similar first (ties by node number).
    /// With <paramref name="excludeDeleted"/>, deleted nodes are expanded but not returned.
    /// </summary>
    private (int Node, float Sim)[] SearchLayer(ReadOnlySpan<float> q, int ep, int ef, int level, bool excludeDeleted)
    {
        if (!_visitedPool.TryTake(out var visited)) visited = new VisitedSet();
        visited.Reset(_count);
        var candidates = new PriorityQueue<int, float>(); // max-heap via negated priority
        var results = new PriorityQueue<int, float>();    // min-heap: root is the worst kept
        float s0 = Sim(q, ep);
        visited.Add(ep);
        candidates.Enqueue(ep, -s0);
        if (!excludeDeleted || !_deleted[ep]) results.Enqueue(ep, s0);
        float bound = results.Count > 0 ? s0 : float.NegativeInfinity;

        while (candidates.TryDequeue(out int c, out float negSim))
        {
            if (-negSim < bound && results.Count >= ef) break;
            var links = Links(c, level);
            for (int i = 1; i <= links[0]; i++)
            {
                int nb = links[i];
                if (!visited.Add(nb)) continue;
                float s = Sim(q, nb);
                if (results.Count < ef || s > bound)
                {
                    candidates.Enqueue(nb, -s);
                    if (!excludeDeleted || !_deleted[nb])
                    {
                        results.Enqueue(nb, s);
                        if (results.Count > ef) results.Dequeue();
                    }
                    if (results.Count > 0) results.TryPeek(out _, out bound);
                }
            }
        }
        _visitedPool.Add(visited);

        var list = new (int Node, float Sim)[results.Count];
        int j = 0;
        while (results.TryDequeue(out int n, out float s)) list[j++] = (n, s);
        Array.Sort(list, static (a, b) => a.Sim != b.Sim ? b.Sim.CompareTo(a.Sim) : a.Node.CompareTo(b.Node));
        return list;
    }

    /// <summary>
    /// Algorithm 4 (SELECT-NEIGHBORS-HEURISTIC) without extension or pruned-fill: walk candidates most
    /// similar first and keep one only if it is more similar to the base than to every neighbour kept so far.
    /// </summary>
    private List<int> SelectNeighbours((int Node, float Sim)[] sorted, int m)
    {
        var kept = new List<int>(Math.Min(m, sorted.Length));
        if (sorted.Length <= m)
        {
            foreach (var c in sorted) kept.Add(c.Node);
            return kept;
        }
        foreach (var (node, sim) in sorted)
        {
            if (kept.Count >= m) break;
            var v = Vec(node);
            bool diverse = true;
            foreach (int r in kept)
                if (VectorKernels.Dot(v, Vec(r)) > sim) { diverse = false; break; }
            if (diverse) kept.Add(node);
        }
        return kept;
    }

    /// <summary>Adds a link e → node on a layer, shrinking e's list with the heuristic when it overflows.</summary>
    private void Connect(int e, int node, int level)
    {
        var links = Links(e, level);
        int count = links[0], max = level == 0 ? _p.MaxM0 : _p.M;
        if (count < max)
        {
            links[1 + count] = node;
            links[0] = count + 1;
            return;
        }
        var ve = Vec(e);
        var cands = new (int Node, float Sim)[count + 1];
        for (int i = 0; i < count; i++) cands[i] = (links[1 + i], VectorKernels.Dot(ve, Vec(links[1 + i])));
        cands[count] = (node, VectorKernels.Dot(ve, Vec(node)));
        Array.Sort(cands, static (a, b) => a.Sim != b.Sim ? b.Sim.CompareTo(a.Sim) : a.Node.CompareTo(b.Node));
        var kept = SelectNeighbours(cands, max);
        links[0] = kept.Count;
        for (int i = 0; i < kept.Count; i++) links[1 + i] = kept[i];
    }
}
