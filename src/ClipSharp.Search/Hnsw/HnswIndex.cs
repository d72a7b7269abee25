using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Hnsw;

// Letters: D vector dimension, M links per upper-layer node (2M on layer 0), n node number.

/// <summary>
/// Hierarchical Navigable Small World graph (Malkov &amp; Yashunin) over unit vectors, similarity =
/// dot product (cosine). Nodes are numbered in insertion order; each carries a caller label (an image
/// id). A node's level is drawn from a seeded counter-based generator, so building from the same
/// vectors in the same order on one thread gives the same graph; <see cref="AddRange(IReadOnlyList{long}, RowCopier, int, IProgress{int})"/> on several
/// threads gives a graph of the same quality whose links depend on scheduling. Deletion marks a node: it
/// still routes searches but is never returned; <see cref="Rebuild"/> compacts. Searches may run
/// concurrently with each other but not with <see cref="Add"/> / <see cref="AddRange(IReadOnlyList{long}, RowCopier, int, IProgress{int})"/> / <see cref="Remove"/>.
/// </summary>
/// <remarks>
/// Storage is contiguous: vectors in one pinned (capacity, D) block whose rows start on 64-byte
/// boundaries, layer-0 links in one (capacity, 2M + 1) block, so a search touches a vector with whole
/// cache lines and can prefetch it. Searches reuse pooled <see cref="SearchScratch"/> buffers.
/// </remarks>
public sealed unsafe partial class HnswIndex
{
    private static readonly int[] NoLinks = [];
    internal const int MaxLevelCap = 30;

    private readonly HnswParameters _p;
    private float[] _vectorBlock = [];  // pinned; rows start at _vectors (64-byte aligned)
    private float* _vectors;            // (capacity, D), unit rows
    private long[] _labels = [];
    private int[] _levels = [];
    private bool[] _deleted = [];
    private int[] _links0 = [];         // (capacity, 2M + 1): [count, neighbours...]
    private int[][] _upper = [];        // node → (level, M + 1) for layers 1..level
    private int _count, _entry = -1, _maxLevel = -1, _deletedCount;
    private readonly Dictionary<long, int> _nodeOf = new();
    private readonly ConcurrentBag<SearchScratch> _scratchPool = new();

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
        unit.CopyTo(VecMut(node));
        InitNode(node, label);
        _count++;
        _nodeOf[label] = node;
        var s = RentScratch(_p.EfConstruction);
        Insert(node, s, concurrent: false);
        _scratchPool.Add(s);
    }

    /// <summary>Marks a label deleted (it keeps routing searches, never appears in results). Returns false if absent.</summary>
    public bool Remove(long label)
    {
        if (!_nodeOf.Remove(label, out int node)) return false;
        _deleted[node] = true;
        _deletedCount++;
        return true;
    }

    /// <summary>A new index holding only the live vectors, re-inserted in node order with the same parameters on <paramref name="threads"/> threads.</summary>
    public HnswIndex Rebuild(int threads = 1)
    {
        var fresh = new HnswIndex(Dimension, _p);
        var live = new List<int>(Count);
        for (int n = 0; n < _count; n++) if (!_deleted[n]) live.Add(n);
        fresh.AddRange(live.Select(n => _labels[n]).ToArray(), (i, dest) => Vec(live[i]).CopyTo(dest), threads);
        return fresh;
    }

    /// <summary>
    /// Approximate top-k by cosine: labels of live vectors with score ≥ <paramref name="minScore"/>,
    /// best first, ties by lower label. <paramref name="efSearch"/> defaults to the index parameter and
    /// is raised to k. Allocates only the returned array once the scratch pool is warm.
    /// </summary>
    public ScoredId[] Search(ReadOnlySpan<float> query, int k, float minScore = float.NegativeInfinity, int? efSearch = null) =>
        Search(query, k, out _, minScore, efSearch);

    /// <summary>As <see cref="Search(ReadOnlySpan{float}, int, float, int?)"/>, also reporting how many similarities were computed.</summary>
    public ScoredId[] Search(ReadOnlySpan<float> query, int k, out int distances, float minScore = float.NegativeInfinity, int? efSearch = null)
    {
        distances = 0;
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive");
        if (query.Length != Dimension) throw new ArgumentException($"query has length {query.Length}, index dimension is {Dimension}");
        if (Count == 0) return [];
        int ef = Math.Max(efSearch ?? _p.EfSearch, k);
        var s = RentScratch(ef);
        try
        {
            var q = s.Query.AsSpan();
            query.CopyTo(q);
            float norm = VectorKernels.Normalize(q);
            if (!(norm > 0) || !float.IsFinite(norm)) throw new ArgumentException($"query has norm {norm}; cannot normalise (length {query.Length})");
            s.Distances = 0;
            int ep = _entry;
            for (int lc = _maxLevel; lc >= 1; lc--) ep = Greedy(s, q, ep, lc, concurrent: false);
            SearchLayer(s, q, ep, ef, 0, excludeDeleted: true, concurrent: false);
            distances = (int)s.Distances + 1;
            return RankFound(s, k, minScore);
        }
        finally { _scratchPool.Add(s); }
    }

    /// <summary>Best k of the last layer search by (score desc, label asc) among those ≥ minScore.</summary>
    private ScoredId[] RankFound(SearchScratch s, int k, float minScore)
    {
        int n = 0;
        while (n < s.FoundCount && s.Found[n].Sim >= minScore) n++;
        if (n > k) { float kth = s.Found[k - 1].Sim; int end = k; while (end < n && s.Found[end].Sim == kth) end++; n = end; }
        var result = new ScoredId[n];
        for (int i = 0; i < n; i++) result[i] = new ScoredId(_labels[s.Found[i].Node], s.Found[i].Sim);
        if (n > 1) Array.Sort(result, ScoredId.CompareForRanking);
        return n > k ? result[..k] : result;
    }

    private SearchScratch RentScratch(int ef)
    {
        if (!_scratchPool.TryTake(out var s)) s = new SearchScratch();
        s.Ensure(Dimension, _p.MaxM0, ef);
        return s;
    }

    private void InitNode(int node, long label)
    {
        int level = LevelFor(_p.Seed, node, _p.LevelMultiplier);
        _labels[node] = label;
        _levels[node] = level;
        _deleted[node] = false;
        _links0[node * (_p.MaxM0 + 1)] = 0;
        _upper[node] = level == 0 ? NoLinks : new int[level * (_p.M + 1)];
    }

    private ReadOnlySpan<float> Vec(int node) => new(_vectors + (long)node * Dimension, Dimension);

    private Span<float> VecMut(int node) => new(_vectors + (long)node * Dimension, Dimension);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Sim(ReadOnlySpan<float> q, int node) => VectorKernels.Dot(q, Vec(node));

    /// <summary>Slot [0] is the link count, slots [1..] the neighbours.</summary>
    private Span<int> Links(int node, int level) => level == 0
        ? _links0.AsSpan(node * (_p.MaxM0 + 1), _p.MaxM0 + 1)
        : _upper[node].AsSpan((level - 1) * (_p.M + 1), _p.M + 1);

    private void EnsureCapacity(int needed)
    {
        if (needed <= _labels.Length) return;
        long maxNodes = (Array.MaxLength - 16L) / Dimension;
        if (needed > maxNodes) throw new InvalidOperationException($"an index of dimension {Dimension} holds at most {maxNodes} vectors; {needed} requested");
        int cap = (int)Math.Min(maxNodes, Math.Max(needed, Math.Max(16L, _labels.Length * 2L)));
        // Pinned so that raw row pointers stay valid; 16 spare floats to align row 0 to 64 bytes.
        var block = GC.AllocateUninitializedArray<float>(cap * Dimension + 16, pinned: true);
        nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));
        var aligned = (float*)((address + 63) & ~(nuint)63);
        if (_count > 0) Buffer.MemoryCopy(_vectors, aligned, (long)cap * Dimension * 4, (long)_count * Dimension * 4);
        _vectorBlock = block;
        _vectors = aligned;
        Array.Resize(ref _labels, cap);
        Array.Resize(ref _levels, cap);
        Array.Resize(ref _deleted, cap);
        Array.Resize(ref _links0, checked(cap * (_p.MaxM0 + 1)));
        Array.Resize(ref _upper, cap);
    }
}
