using ClipSharp.Search.Hnsw;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search;

/// <summary>How a <see cref="VectorIndex"/> chooses between exact and approximate search.</summary>
public sealed record VectorIndexOptions
{
    /// <summary>Below this many vectors search is exact (brute force); at or above, HNSW.</summary>
    public int ExactThreshold { get; init; } = 20_000;

    /// <summary>Always search exactly, whatever the size.</summary>
    public bool ForceExact { get; init; }

    /// <summary>Graph parameters when HNSW is used. Default M=24, efConstruction=200, efSearch=128.</summary>
    public HnswParameters Hnsw { get; init; } = new(m: 24, efConstruction: 200, efSearch: 128);

    /// <summary>Rebuild a reused graph when more than this fraction of its nodes are deleted.</summary>
    public double RebuildDeletedFraction { get; init; } = 0.25;

    /// <summary>Threads for exact search and for inserting into the HNSW graph (more than one: same quality, links depend on scheduling).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// Top-k search over a set of (id, unit vector) pairs: exact below
/// <see cref="VectorIndexOptions.ExactThreshold"/> (or with <see cref="VectorIndexOptions.ForceExact"/>),
/// HNSW above. Results carry the caller's ids; scores are cosine similarities. Thread-safe for searching.
/// </summary>
public sealed class VectorIndex
{
    private readonly long[] _ids;           // ascending; row r of the matrix has id _ids[r]
    private readonly EmbeddingMatrix _matrix;
    private readonly int _threads;

    private VectorIndex(long[] ids, EmbeddingMatrix matrix, HnswIndex? graph, int threads)
    {
        _ids = ids; _matrix = matrix; Graph = graph; _threads = threads;
    }

    /// <summary>The HNSW graph when searches are approximate, else null.</summary>
    public HnswIndex? Graph { get; }

    public bool IsApproximate => Graph != null;
    public int Count => _ids.Length;
    public int Dimension => _matrix.Dimension;

    /// <summary>
    /// Builds the index. <paramref name="ids"/> must be strictly ascending and match the matrix rows
    /// (so exact-search ties by row are ties by id). When HNSW is chosen and <paramref name="reuse"/> is
    /// given, it is brought up to date instead of rebuilt: ids missing from it are added, ids no longer
    /// present are removed, and it is rebuilt only when too many deletions accumulate. Vectors should be
    /// unit length (HNSW normalises its copies; exact search uses the matrix as is).
    /// </summary>
    public static VectorIndex Create(long[] ids, EmbeddingMatrix matrix, VectorIndexOptions? options = null, HnswIndex? reuse = null)
    {
        options ??= new VectorIndexOptions();
        if (ids.Length != matrix.Rows) throw new ArgumentException($"{ids.Length} ids for {matrix.Rows} matrix rows");
        for (int i = 1; i < ids.Length; i++)
            if (ids[i] <= ids[i - 1]) throw new ArgumentException($"ids must be strictly ascending; ids[{i - 1}]={ids[i - 1]}, ids[{i}]={ids[i]}");
        if (options.ForceExact || ids.Length < options.ExactThreshold)
            return new VectorIndex(ids, matrix, null, options.Threads);

        HnswIndex graph;
        if (reuse != null && reuse.Dimension == matrix.Dimension)
        {
            graph = reuse;
            var wanted = new HashSet<long>(ids);
            foreach (long stale in graph.Labels.Where(l => !wanted.Contains(l)).ToList()) graph.Remove(stale);
            var missing = Enumerable.Range(0, ids.Length).Where(r => !graph.Contains(ids[r])).ToArray();
            graph.AddRange(missing.Select(r => ids[r]).ToArray(), (i, dest) => matrix.CopyRow(missing[i], dest), options.Threads);
            if (graph.DeletedFraction > options.RebuildDeletedFraction) graph = graph.Rebuild(options.Threads);
        }
        else
        {
            graph = new HnswIndex(matrix.Dimension, options.Hnsw);
            graph.AddRange(ids, (r, dest) => matrix.CopyRow(r, dest), options.Threads);
        }
        return new VectorIndex(ids, matrix, graph, options.Threads);
    }

    /// <summary>
    /// The k most similar ids with score ≥ <paramref name="minScore"/>, best first, ties by lower id.
    /// The query is L2-normalised first.
    /// </summary>
    public ScoredId[] Search(ReadOnlySpan<float> query, int k, float minScore = float.NegativeInfinity)
    {
        var q = VectorKernels.Normalized(query, "query embedding");
        if (Graph != null) return Graph.Search(q, k, minScore);
        var rows = ExactSearch.Search(_matrix, q, k, minScore, _threads);
        for (int i = 0; i < rows.Length; i++) rows[i] = rows[i] with { Id = _ids[rows[i].Id] };
        return rows;
    }

    /// <summary>Row number of an id, or -1.</summary>
    public int RowOf(long id)
    {
        int r = Array.BinarySearch(_ids, id);
        return r >= 0 ? r : -1;
    }

    /// <summary>The stored vector of an id (widened to float32).</summary>
    public float[] GetVector(long id)
    {
        int r = RowOf(id);
        return r >= 0 ? _matrix.GetRow(r) : throw new KeyNotFoundException($"id {id} is not in the index");
    }

    /// <summary>Ids in ascending order, parallel to the matrix rows.</summary>
    public ReadOnlySpan<long> Ids => _ids;

    /// <summary>The matrix of stored vectors (row r ↔ <see cref="Ids"/>[r]).</summary>
    public EmbeddingMatrix Matrix => _matrix;
}
