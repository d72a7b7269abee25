namespace ClipSharp.Search.Sync;

/// <summary>
/// What `search` needs from an index, whatever stores it: the SQLite <see cref="ImageIndex"/> or the
/// Postgres + pgvector <see cref="Store.Postgres.PgImageIndex"/>.
/// </summary>
public interface ISearchableIndex : IDisposable
{
    /// <summary>Where the index lives, for messages (a file path, or a connection string without its password).</summary>
    string DatabasePath { get; }

    /// <summary>Model id of the stored embeddings (null before anything was indexed).</summary>
    string? ModelId { get; }

    /// <summary>The model as the indexing command was given it (name, hf: id or path), to load it again for queries.</summary>
    string? ModelSource { get; }

    /// <summary>Length of the stored embeddings (null before anything was indexed).</summary>
    int? Dimension { get; }

    /// <summary>The folder the stored relative paths are under, when known (a Postgres collection opened without one: null).</summary>
    string? Root { get; }

    /// <summary>Indexed (embedded) images.</summary>
    int Count { get; }

    /// <summary>Id of the indexed image at <paramref name="path"/> (relative to <see cref="Root"/>, or absolute under it), or null.</summary>
    long? FindId(string path);

    /// <summary>The <paramref name="k"/> images nearest to a unit query embedding by cosine, best first.</summary>
    IReadOnlyList<ImageHit> Search(float[] queryEmbedding, int k, float? minScore = null);

    /// <summary>The indexed (embedded) image with id <paramref name="id"/>, its stored unit embedding when asked for; null if absent.</summary>
    IndexedImage? GetIndexed(long id, bool withEmbedding);

    /// <summary>Every indexed (embedded) image, by id, with their stored embeddings when asked for.</summary>
    IEnumerable<IndexedImage> ListIndexed(bool withEmbedding);

    /// <summary>
    /// Groups of near-duplicate images: connected components of the pairs with cosine similarity ≥
    /// <paramref name="threshold"/>, largest group first, members by id.
    /// </summary>
    IReadOnlyList<ImageGroup> Dupes(float threshold, int maxNeighbours = 32);
}

/// <summary>An image in an index: id, path relative to the indexed folder and absolute, size in pixels, and its stored unit embedding if requested.</summary>
public sealed record IndexedImage(long Id, string RelativePath, string FullPath, int Width, int Height, float[]? Embedding);
