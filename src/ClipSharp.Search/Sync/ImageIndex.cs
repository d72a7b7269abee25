using ClipSharp.Search.Dupes;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Hnsw;
using ClipSharp.Search.Store;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Sync;

/// <summary>
/// A searchable index of the images under one folder: the library API behind
/// <c>clipsharp index / search / dupes / serve</c>. <see cref="SyncAsync"/> brings the database in line
/// with the folder; <see cref="Search"/>, <see cref="Dupes"/> and <see cref="DuplicatePairs"/> query it.
/// One model per index (its id and dimension are fixed by the first sync). Methods are thread-safe;
/// queries issued during a sync see the last state built before it.
/// </summary>
public sealed class ImageIndex : ISearchableIndex
{
    private readonly EmbeddingStore _store;
    private readonly ImageIndexOptions _options;
    private readonly object _gate = new();
    private VectorIndex? _search;
    private HnswIndex? _graph;

    public string Root { get; }
    public string DatabasePath => _store.DatabasePath;

    /// <summary>Path of the persisted HNSW graph (exists only once the index is large enough to use HNSW).</summary>
    public string GraphPath => DatabasePath + ".hnsw";

    private ImageIndex(string root, EmbeddingStore store, ImageIndexOptions options)
    {
        Root = root; _store = store; _options = options;
    }

    /// <summary>
    /// Opens the index of <paramref name="root"/>, creating its database if missing. If the database
    /// records another root: when it lives inside <paramref name="root"/> (the folder was moved) the
    /// record is updated, otherwise <see cref="IndexMismatchException"/> is thrown.
    /// </summary>
    public static ImageIndex Open(string root, ImageIndexOptions? options = null)
    {
        options ??= new ImageIndexOptions();
        string fullRoot = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar);
        if (fullRoot.Length == 0) fullRoot = "/";
        if (!Directory.Exists(fullRoot)) throw new DirectoryNotFoundException($"image folder not found: {fullRoot}");
        string db = options.DatabasePath ?? Path.Combine(fullRoot, ".clipsharp", "index.db");
        var store = EmbeddingStore.Open(db);
        try
        {
            string? recorded = store.GetMeta("root");
            if (recorded == null || recorded != fullRoot)
            {
                bool inside = RealPath.IsUnder(Path.GetFullPath(store.DatabasePath), fullRoot);
                if (recorded != null && !inside)
                    throw new IndexMismatchException($"{store.DatabasePath} indexes {recorded}, not {fullRoot}; use another database path");
                store.SetMeta("root", fullRoot);
            }
            return new ImageIndex(fullRoot, store, options);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens an existing index database by its path alone, reading the folder it indexes from its
    /// metadata. Throws <see cref="FileNotFoundException"/> if the file is missing and
    /// <see cref="IndexFormatException"/> if it records no root.
    /// </summary>
    public static ImageIndex OpenDatabase(string databasePath, ImageIndexOptions? options = null)
    {
        string full = Path.GetFullPath(databasePath);
        if (!File.Exists(full)) throw new FileNotFoundException($"index database not found: {full}", full);
        string? root;
        using (var store = EmbeddingStore.Open(full)) root = store.GetMeta("root");
        if (root == null) throw new IndexFormatException(full, "meta.root missing: the database was never opened on a folder");
        return Open(root, (options ?? new ImageIndexOptions()) with { DatabasePath = full });
    }

    /// <summary>Model id of the stored embeddings (null before the first sync).</summary>
    public string? ModelId { get { lock (_gate) return _store.GetMeta("model_id"); } }

    /// <summary>
    /// How to load the model again (a name, hf: id or path as the user gave it), recorded beside <see cref="ModelId"/>,
    /// which identifies the weights rather than their place. Indexes from before it existed: their model id, a path.
    /// </summary>
    public string? ModelSource
    {
        get { lock (_gate) return _store.GetMeta("model_source") ?? _store.GetMeta("model_id"); }
        set { lock (_gate) _store.SetMeta("model_source", value ?? throw new ArgumentNullException(nameof(value))); }
    }

    /// <summary>Embedding dimension (null before the first sync).</summary>
    public int? Dimension { get { lock (_gate) return _store.GetMeta("dimension") is { } d ? int.Parse(d) : null; } }

    /// <summary>Number of indexed images.</summary>
    public int Count { get { lock (_gate) return _store.ImageCount(); } }

    /// <summary>True when searches currently go through HNSW (builds the search structure if needed).</summary>
    public bool IsApproximate => GetSearchIndex()?.IsApproximate ?? false;

    /// <summary>
    /// Walks the root and updates the index: embeds new and changed files in batches (decoding on
    /// worker threads, pipelined with <see cref="IEmbeddingSource.EmbedBatch"/>), reuses embeddings of
    /// files whose content is already indexed (moved, touched, copied), drops deleted files, and records
    /// per-file failures without stopping. Each batch is committed in its own transaction, so a
    /// cancelled or crashed run keeps its finished batches and the next run carries on from there.
    /// Throws <see cref="OperationCanceledException"/> when cancelled, <see cref="IndexMismatchException"/>
    /// if the index holds another model's embeddings, <see cref="IndexBusyException"/> if another sync
    /// (in any process) is updating the same database.
    /// </summary>
    public async Task<SyncReport> SyncAsync(IEmbeddingSource source, SyncOptions? options = null,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (source.Dimension <= 0) throw new ArgumentException($"model '{source.ModelId}' reports dimension {source.Dimension}");
        using var writer = SyncLock.Acquire(DatabasePath);
        lock (_gate)
        {
            string? model = _store.GetMeta("model_id"), dim = _store.GetMeta("dimension");
            if (model == null || (_store.ImageCount() == 0 && _store.EmbeddingCount(model) == 0))
            {
                _store.SetMeta("model_id", source.ModelId);
                _store.SetMeta("dimension", source.Dimension.ToString());
                _search = null; _graph = null;
            }
            else if (model != source.ModelId || dim != source.Dimension.ToString())
                throw new IndexMismatchException(
                    $"{DatabasePath} holds embeddings of model '{model}' ({dim}-d); this sync uses '{source.ModelId}' ({source.Dimension}-d). " +
                    "Use another database path or delete the index to rebuild it.");
        }
        var walker = new FolderWalker(Root, new GlobMatcher(_options.Exclude));
        var run = new SyncRun(_store, _gate, source, options ?? new SyncOptions(), _options.StoragePrecision, progress);
        try
        {
            return await Task.Run(async () =>
            {
                var walk = walker.Walk(cancellationToken);
                return await run.RunAsync(walk, cancellationToken).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate) _search = null; // rebuilt (reusing the graph) on the next query
        }
    }

    /// <summary>
    /// The <paramref name="k"/> images most similar to <paramref name="queryEmbedding"/> (cosine; the
    /// query is normalised here), best first, ties by lower id, optionally only those scoring at least
    /// <paramref name="minScore"/>. Empty before the first sync.
    /// </summary>
    public IReadOnlyList<ImageHit> Search(float[] queryEmbedding, int k, float? minScore = null)
    {
        var index = GetSearchIndex();
        if (index == null || index.Count == 0) return [];
        if (queryEmbedding.Length != index.Dimension)
            throw new ArgumentException($"query embedding has length {queryEmbedding.Length}, the index holds {index.Dimension}-d embeddings of '{ModelId}'");
        var hits = index.Search(queryEmbedding, k, minScore ?? float.NegativeInfinity);
        var result = new List<ImageHit>(hits.Length);
        lock (_gate)
        {
            foreach (var h in hits)
                if (_store.GetImage(h.Id) is { } r) result.Add(new ImageHit(r.Id, r.Path, FullPath(r.Path), h.Score));
        }
        return result;
    }

    /// <summary>All pairs of images with cosine similarity ≥ <paramref name="threshold"/>, highest first.</summary>
    /// <param name="threshold">Minimum cosine similarity, e.g. 0.95 for near-identical photos.</param>
    /// <param name="maxNeighbours">With HNSW (large indexes), at most this many partners are found per image.</param>
    public IReadOnlyList<ImagePair> DuplicatePairs(float threshold, int maxNeighbours = 32)
    {
        var index = GetSearchIndex();
        if (index == null) return [];
        var pairs = DuplicateFinder.FindPairs(index, threshold, maxNeighbours, _options.Search.Threads);
        lock (_gate)
        {
            var cache = new Dictionary<long, ImageRef?>();
            return pairs.Select(p => (A: Ref(p.A, cache), B: Ref(p.B, cache), p.Score))
                .Where(p => p.A != null && p.B != null).Select(p => new ImagePair(p.A!, p.B!, p.Score)).ToList();
        }
    }

    /// <summary>
    /// Groups of near-duplicate images: connected components of the pairs with similarity ≥
    /// <paramref name="threshold"/>, largest group first, members by id.
    /// </summary>
    public IReadOnlyList<ImageGroup> Dupes(float threshold, int maxNeighbours = 32)
    {
        var index = GetSearchIndex();
        if (index == null) return [];
        var pairs = DuplicateFinder.FindPairs(index, threshold, maxNeighbours, _options.Search.Threads);
        var groups = DuplicateFinder.Group(pairs);
        lock (_gate)
        {
            var cache = new Dictionary<long, ImageRef?>();
            return groups.Select(g => new ImageGroup(g.Ids.Select(id => Ref(id, cache)).OfType<ImageRef>().ToList(), g.MinScore))
                .Where(g => g.Images.Count > 1).ToList();
        }
    }

    /// <summary>Absolute path of an indexed image, or null.</summary>
    public string? GetPath(long id)
    {
        lock (_gate) return _store.GetImage(id) is { } r ? FullPath(r.Path) : null;
    }

    /// <summary>The stored row of an image (relative path, size, mtime, hash, width, height), or null.</summary>
    public ImageRecord? GetImage(long id)
    {
        lock (_gate) return _store.GetImage(id);
    }

    /// <summary>Id of the image at <paramref name="path"/> (absolute, or relative to the root), or null.</summary>
    public long? FindId(string path)
    {
        string rel = Path.IsPathRooted(path) ? Path.GetRelativePath(Root, path) : path;
        rel = rel.Replace(Path.DirectorySeparatorChar, '/');
        if (rel.StartsWith("./", StringComparison.Ordinal)) rel = rel[2..];
        lock (_gate) return _store.FindByPath(rel)?.Id;
    }

    /// <summary>The stored (unit, possibly float16-rounded) embedding of an indexed image, or null.</summary>
    public float[]? GetEmbedding(long id)
    {
        lock (_gate) return _store.GetMeta("model_id") is { } m ? _store.GetEmbedding(id, m) : null;
    }

    public IndexedImage? GetIndexed(long id, bool withEmbedding)
    {
        lock (_gate)
        {
            if (_store.GetImage(id) is not { } r || _store.GetMeta("model_id") is not { } model) return null;
            var embedding = _store.GetEmbedding(id, model);
            if (embedding is null) return null;
            return new IndexedImage(r.Id, r.Path, FullPath(r.Path), r.Width, r.Height, withEmbedding ? embedding : null);
        }
    }

    public IEnumerable<IndexedImage> ListIndexed(bool withEmbedding)
    {
        List<ImageRecord> images;
        string? model;
        lock (_gate) (images, model) = (_store.LoadImages(), _store.GetMeta("model_id"));
        if (model is null) yield break;
        foreach (var r in images.OrderBy(r => r.Id))
        {
            // The rows are already loaded: only the embedding is read per image (it also says the image is indexed).
            float[]? embedding;
            lock (_gate) embedding = _store.GetEmbedding(r.Id, model);
            if (embedding is not null) yield return new IndexedImage(r.Id, r.Path, FullPath(r.Path), r.Width, r.Height, withEmbedding ? embedding : null);
        }
    }

    /// <summary>Runs SQLite's integrity checks plus "every image has an embedding"; "ok" when sound.</summary>
    public string CheckIntegrity()
    {
        lock (_gate) return _store.CheckIntegrity();
    }

    private string FullPath(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    private ImageRef? Ref(long id, Dictionary<long, ImageRef?> cache)
    {
        if (!cache.TryGetValue(id, out var r))
            cache[id] = r = _store.GetImage(id) is { } row ? new ImageRef(row.Id, row.Path, FullPath(row.Path)) : null;
        return r;
    }

    /// <summary>Loads the embeddings into memory and builds (or refreshes) the exact or HNSW index.</summary>
    private VectorIndex? GetSearchIndex()
    {
        lock (_gate)
        {
            if (_search != null) return _search;
            string? model = _store.GetMeta("model_id");
            string? dim = _store.GetMeta("dimension");
            if (model == null || dim == null) return null;
            var (ids, matrix) = _store.LoadMatrix(model, int.Parse(dim), _options.StoragePrecision);
            bool approximate = !_options.Search.ForceExact && ids.Length >= _options.Search.ExactThreshold;
            string tag = $"{_store.InstanceId}/{model}";
            if (approximate && _graph == null && _options.PersistGraph && File.Exists(GraphPath) && HnswIndex.ReadTag(GraphPath) == tag)
            {
                try { _graph = HnswIndex.Load(GraphPath, tag); }
                catch (IndexFormatException) { _graph = null; } // corrupt cache: rebuild from the database
            }
            int before = _graph?.NodeCount ?? -1, deletedBefore = _graph?.DeletedCount ?? -1;
            var reuse = _graph;
            _search = VectorIndex.Create(ids, matrix, _options.Search, reuse);
            if (_search.Graph != null)
            {
                bool changed = _search.Graph != reuse || _search.Graph.NodeCount != before || _search.Graph.DeletedCount != deletedBefore;
                _graph = _search.Graph;
                if (changed && _options.PersistGraph) _graph.Save(GraphPath, tag);
            }
            return _search;
        }
    }

    public void Dispose() => _store.Dispose();
}
