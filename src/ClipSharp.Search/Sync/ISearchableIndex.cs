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

    /// <summary>The <paramref name="k"/> images nearest to a unit query embedding by cosine, best first.</summary>
    IReadOnlyList<ImageHit> Search(float[] queryEmbedding, int k, float? minScore = null);
}
