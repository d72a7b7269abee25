using ClipSharp.Search.Dupes;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using ClipSharp.Search.Vectors;
using Npgsql;

namespace ClipSharp.Search.Store.Postgres;

/// <summary>Settings of one Postgres indexing worker.</summary>
public sealed record PgIndexOptions
{
    /// <summary>Files claimed, embedded and committed together.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Threads decoding one batch.</summary>
    public int DecodeThreads { get; init; } = 1;
    /// <summary>How long a claim lasts; a worker that dies frees its files after this.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Globs of files or folders to skip.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];
    /// <summary>Recorded in the collection (first writer wins) so search can load the model without --model.</summary>
    public string? ModelSource { get; init; }
    /// <summary>Worker name recorded with its claims (default host:pid:random).</summary>
    public string? WorkerId { get; init; }
    /// <summary>After each committed batch: the collection's finished (done + failed) files of all, this worker's rate, and the ETA at that rate.</summary>
    public IProgress<IndexProgress>? Progress { get; init; }
}

/// <summary>What one worker did, and the collection's state when it stopped.</summary>
public sealed record PgIndexReport(int Found, int Registered, int Embedded, List<SyncIssue> Failures, List<SyncIssue> Skipped,
    long Pending, long Done, long Failed)
{
    /// <summary>Registered files whose size or mtime changed since (pending again).</summary>
    public int Changed { get; init; }

    /// <summary>Files of the collection no longer in the folder (deleted from it).</summary>
    public int Removed { get; init; }

    public override string ToString() =>
        $"{Found} found, {Registered} new in the collection, {Changed} changed, {Removed} removed; this worker embedded {Embedded}, failed {Failures.Count}; " +
        $"collection: {Done} done, {Failed} failed, {Pending} pending";
}

/// <summary>
/// A folder's images indexed into a <see cref="PgVectorStore"/> collection by any number of workers: each
/// walks the folder and registers its files (paths relative to the folder, so workers on other machines
/// mounting it elsewhere share them), then claims pending files in batches, embeds them and commits each
/// batch. A file that cannot be decoded is recorded as failed and reported; it never stops the run.
/// </summary>
public sealed class PgImageIndex : ISearchableIndex
{
    private readonly PgVectorStore _store;
    private readonly string? _root;

    private PgImageIndex(PgVectorStore store, string db, string? root)
    {
        _store = store; _root = root; DatabasePath = Describe(db);
    }

    public string DatabasePath { get; }
    public string? ModelId => _store.ModelId;
    public int? Dimension => _store.Dimension;
    public string? ModelSource => _store.GetMeta("model_source");

    /// <summary>Opens an existing collection for search; <paramref name="root"/> (optional) makes full paths.</summary>
    public static PgImageIndex OpenExisting(string db, string? root = null)
    {
        var (model, dim) = PgVectorStore.ReadIdentity(db)
            ?? throw new InvalidDataException($"{Describe(db)} holds no ClipSharp collection: run clipsharp index DIR --db ... first");
        return new PgImageIndex(PgVectorStore.Open(db, model, dim), db, root == null ? null : Path.GetFullPath(root));
    }

    public IReadOnlyList<ImageHit> Search(float[] queryEmbedding, int k, float? minScore = null)
    {
        var hits = _store.Search(queryEmbedding, k);
        return hits.Where(h => minScore is not { } m || h.Score >= m)
            .Select(h => new ImageHit(h.Id, h.Path, _root == null ? h.Path : Path.Combine(_root, h.Path), h.Score)).ToList();
    }

    public string? Root => _root;

    public int Count => (int)Math.Min(int.MaxValue, _store.Counts().Done);

    public long? FindId(string path)
    {
        string rel = Path.IsPathRooted(path)
            ? (_root is null ? throw new ArgumentException($"{path}: an absolute path needs the collection's folder (--dir)") : Path.GetRelativePath(_root, path))
            : path;
        rel = rel.Replace(Path.DirectorySeparatorChar, '/');
        if (rel.StartsWith("./", StringComparison.Ordinal)) rel = rel[2..];
        return _store.FindDone(rel);
    }

    /// <summary>As <see cref="ImageIndex.Dupes"/>: the collection's embeddings are read into memory and paired there (exactly, or by HNSW when large).</summary>
    public IReadOnlyList<ImageGroup> Dupes(float threshold, int maxNeighbours = 32)
    {
        var images = ListIndexed(withEmbedding: true).ToList();
        if (images.Count == 0 || Dimension is not { } d) return [];
        var data = new float[images.Count * d];
        for (int i = 0; i < images.Count; i++) images[i].Embedding!.CopyTo(data, i * d);
        var index = VectorIndex.Create(images.Select(i => i.Id).ToArray(), new EmbeddingMatrix(images.Count, d, data), new VectorIndexOptions());
        var byId = images.ToDictionary(i => i.Id, i => new ImageRef(i.Id, i.RelativePath, i.FullPath));
        return DuplicateFinder.Group(DuplicateFinder.FindPairs(index, threshold, maxNeighbours, Environment.ProcessorCount))
            .Select(g => new ImageGroup(g.Ids.Select(id => byId[id]).ToList(), g.MinScore))
            .Where(g => g.Images.Count > 1).ToList();
    }

    public IndexedImage? GetIndexed(long id, bool withEmbedding) => _store.Indexed(id, withEmbedding).Select(ToIndexed).FirstOrDefault();

    public IEnumerable<IndexedImage> ListIndexed(bool withEmbedding) => _store.Indexed(null, withEmbedding).Select(ToIndexed);

    private IndexedImage ToIndexed(PgIndexedRow r) =>
        new(r.Id, r.Path, _root == null ? r.Path : Path.Combine(_root, r.Path), r.Width, r.Height, r.Embedding);

    /// <summary>
    /// Registers the files under <paramref name="root"/> and works on the collection's pending files until none
    /// is pending: files another worker holds are waited for, and taken over once that worker's lease runs out.
    /// </summary>
    public static async Task<PgIndexReport> IndexFolderAsync(string db, string root, IEmbeddingSource source, PgIndexOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new PgIndexOptions();
        if (options.BatchSize < 1) throw new ArgumentException("batch size must be at least 1");
        string fullRoot = Path.GetFullPath(root);
        var walk = new FolderWalker(fullRoot, new GlobMatcher(options.Exclude)).Walk(cancellationToken);
        using var store = PgVectorStore.Open(db, source.ModelId, source.Dimension);
        if (options.ModelSource is { } ms) store.SetMetaIfAbsent("model_source", ms);
        var (registered, changed, removed) = store.Synchronize(walk.Files.Select(f => (f.RelativePath, f.Size, f.MtimeTicks)).ToList());
        string worker = options.WorkerId ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        var failures = new List<SyncIssue>(walk.Refused);
        int embedded = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var claims = store.Claim(worker, options.BatchSize, options.Lease);
            if (claims.Count == 0)
            {
                // Nothing claimable. Files still pending are held by other workers' leases: wait for them
                // to be finished, or for a lease to run out (a worker that died) and take its files over.
                var (waiting, next) = store.PendingLeases();
                if (waiting == 0) break;
                var wait = TimeSpan.FromTicks(Math.Clamp((next ?? TimeSpan.Zero).Ticks, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                continue;
            }
            var prepared = new PreparedImage?[claims.Count];
            var reasons = new string?[claims.Count];
            await Parallel.ForAsync(0, claims.Count, new ParallelOptions { MaxDegreeOfParallelism = options.DecodeThreads, CancellationToken = cancellationToken },
                (i, _) =>
                {
                    var full = Path.Combine(fullRoot, claims[i].Path);
                    try { prepared[i] = source.Prepare(File.ReadAllBytes(full), full); }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        reasons[i] = e is IOException or UnauthorizedAccessException ? $"cannot read file: {e.Message}" : WithoutPath(e.Message, full);
                    }
                    return ValueTask.CompletedTask;
                }).ConfigureAwait(false);
            var good = Enumerable.Range(0, claims.Count).Where(i => prepared[i] != null).ToArray();
            var vectors = good.Length == 0 ? [] : source.EmbedBatch(good.Select(i => prepared[i]!).ToArray(), cancellationToken);
            var results = new List<(long, float[]?, int, int, string?)>(claims.Count);
            for (int i = 0, g = 0; i < claims.Count; i++)
            {
                if (prepared[i] is { } p)
                {
                    var v = vectors[g++];
                    float norm = VectorKernels.Normalize(v);
                    if (norm > 0 && float.IsFinite(norm)) { results.Add((claims[i].Id, v, p.Width, p.Height, null)); continue; }
                    reasons[i] = $"the model gave an embedding of norm {norm}";
                }
                results.Add((claims[i].Id, null, 0, 0, reasons[i]));
            }
            store.Complete(worker, results);
            for (int i = 0; i < claims.Count; i++)
                if (reasons[i] is { } r) failures.Add(new SyncIssue(claims[i].Path, r));
                else embedded++;
            if (options.Progress is { } progress)
            {
                var (p, d, f) = store.Counts();
                double rate = (embedded + failures.Count - walk.Refused.Count) / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                progress.Report(new IndexProgress(SyncPhase.Indexing, (int)(d + f), (int)(p + d + f), (int)f, clock.Elapsed, rate,
                    rate > 0 ? TimeSpan.FromSeconds(p / rate) : null));
            }
        }
        var (pending, done, failed) = store.Counts();
        return new PgIndexReport(walk.Files.Count, registered, embedded, failures, walk.Skipped, pending, done, failed) { Changed = changed, Removed = removed };
    }

    /// <summary>The connection named without its password.</summary>
    public static string Describe(string db)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(PgVectorStore.ToConnectionString(db)) { Password = null };
            return $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        }
        catch (ArgumentException) { return "postgres"; }
    }

    private static string WithoutPath(string reason, string fullPath) =>
        reason.StartsWith(fullPath + ": ", StringComparison.Ordinal) ? reason[(fullPath.Length + 2)..] : reason;

    public void Dispose() => _store.Dispose();
}
