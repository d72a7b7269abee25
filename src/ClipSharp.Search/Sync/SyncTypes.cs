using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Sync;

/// <summary>Settings fixed when an <see cref="ImageIndex"/> is opened.</summary>
public sealed record ImageIndexOptions
{
    /// <summary>The SQLite file; default <c>&lt;root&gt;/.clipsharp/index.db</c> (a hidden folder, so never walked).</summary>
    public string? DatabasePath { get; init; }

    /// <summary>Exclude globs (see <see cref="GlobMatcher"/>).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>How new embeddings are stored (existing rows keep theirs). Float16 halves the database and search memory.</summary>
    public VectorPrecision StoragePrecision { get; init; } = VectorPrecision.Float16;

    /// <summary>Exact/HNSW policy and parameters for <see cref="ImageIndex.Search"/>.</summary>
    public VectorIndexOptions Search { get; init; } = new();

    /// <summary>Keep the HNSW graph in <c>&lt;database&gt;.hnsw</c> and update it incrementally between runs.</summary>
    public bool PersistGraph { get; init; } = true;
}

/// <summary>Settings of one <see cref="ImageIndex.SyncAsync"/> run.</summary>
public sealed record SyncOptions
{
    /// <summary>Images per <see cref="Embedding.IEmbeddingSource.EmbedBatch"/> call and per database transaction.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Threads reading, hashing and preparing (decoding) files.</summary>
    public int DecodeThreads { get; init; } = Math.Max(1, Environment.ProcessorCount - 1);

    /// <summary>Prepared images that may wait for the encoder; default 2 × <see cref="BatchSize"/>.</summary>
    public int? QueueCapacity { get; init; }
}

public enum SyncPhase
{
    /// <summary>Walking the folder and comparing it with the database.</summary>
    Scanning,
    /// <summary>Hashing, decoding and embedding new or changed files.</summary>
    Indexing,
    /// <summary>Done; <see cref="IndexProgress.Done"/> == <see cref="IndexProgress.Total"/>.</summary>
    Finished,
}

/// <summary>
/// Sync progress, reported after the scan, after every committed batch and at the end.
/// <see cref="Total"/> counts files that need work (new or changed); unchanged files are not counted.
/// </summary>
public sealed record IndexProgress(SyncPhase Phase, int Done, int Total, int Failed, TimeSpan Elapsed, double FilesPerSecond, TimeSpan? Eta);

/// <summary>What a sync did. Every file found is counted in exactly one of the outcome counters or in <see cref="Failures"/>.</summary>
public sealed class SyncReport
{
    /// <summary>Image files found under the root (excluding refused formats).</summary>
    public int Found { get; internal set; }
    /// <summary>Same path, size and mtime as indexed: not read.</summary>
    public int Unchanged { get; internal set; }
    /// <summary>New paths embedded by the model.</summary>
    public int Added { get; internal set; }
    /// <summary>Indexed paths whose content changed and was embedded again.</summary>
    public int Changed { get; internal set; }
    /// <summary>Same content found at a new path (old path gone): id and embedding kept.</summary>
    public int Moved { get; internal set; }
    /// <summary>Size/mtime changed but content (SHA-256) identical: only the file stats were updated.</summary>
    public int Touched { get; internal set; }
    /// <summary>New paths whose content is already indexed elsewhere: embedding copied, not recomputed.</summary>
    public int Copied { get; internal set; }
    /// <summary>Index entries whose file is gone.</summary>
    public int Removed { get; internal set; }
    /// <summary>Images the model encoded in this run.</summary>
    public int Embedded { get; internal set; }
    /// <summary>Files that could not be indexed (corrupt, unreadable, unsupported format), with reasons.</summary>
    public List<SyncIssue> Failures { get; } = [];
    /// <summary>Entries not considered (symbolic links leading outside the root, unreadable folders).</summary>
    public List<SyncIssue> Skipped { get; } = [];
    public TimeSpan Elapsed { get; internal set; }

    public override string ToString() =>
        $"found {Found}: {Unchanged} unchanged, {Added} added, {Changed} changed, {Moved} moved, {Touched} touched, " +
        $"{Copied} copied, {Removed} removed, {Failures.Count} failed, {Skipped.Count} skipped; {Embedded} embedded in {Elapsed.TotalSeconds:F1} s";
}

/// <summary>An indexed image: id, path relative to the root ('/'-separated) and absolute path.</summary>
public sealed record ImageRef(long Id, string RelativePath, string FullPath);

/// <summary>A search result.</summary>
public sealed record ImageHit(long Id, string RelativePath, string FullPath, float Score);

/// <summary>Two images whose embeddings have cosine similarity ≥ the threshold.</summary>
public sealed record ImagePair(ImageRef A, ImageRef B, float Score);

/// <summary>Images connected by near-duplicate pairs; <see cref="MinScore"/> is the weakest link used.</summary>
public sealed record ImageGroup(IReadOnlyList<ImageRef> Images, float MinScore);
