using ClipSharp.Imaging;

namespace ClipSharp.Web;

/// <summary>Settings of a <see cref="SearchServer"/>.</summary>
public sealed record SearchServerOptions
{
    /// <summary>Address to bind; loopback by default, so only this machine can reach the index.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free one (see <see cref="SearchServer.Url"/>).</summary>
    public int Port { get; init; } = 8080;

    /// <summary>Results when the request gives no <c>k</c>.</summary>
    public int DefaultResults { get; init; } = 24;

    /// <summary>Largest accepted <c>k</c>.</summary>
    public int MaxResults { get; init; } = 500;

    /// <summary>Longest side of a thumbnail in pixels.</summary>
    public int ThumbnailSize { get; init; } = 192;

    /// <summary>Memory the PNG thumbnail cache may hold before dropping the least recently used.</summary>
    public long ThumbnailCacheBytes { get; init; } = 64L << 20;

    /// <summary>Largest image upload accepted by <c>POST /api/search/image</c>.</summary>
    public long MaxUploadBytes { get; init; } = 32L << 20;

    /// <summary>Uploads read and decoded at once; more are answered 429 with Retry-After.</summary>
    public int MaxConcurrentUploads { get; init; } = 4;

    /// <summary>What decoding one upload may cost (pixels, memory, JPEG scans); much less than files on disk get.</summary>
    public ImageDecodeLimits UploadDecodeLimits { get; init; } = ImageDecodeLimits.Upload;

    /// <summary>Longest an upload may take to decode and preprocess before it is refused.</summary>
    public TimeSpan UploadDecodeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Text query embeddings kept (least recently used dropped); 0 turns the cache off.</summary>
    public int QueryCacheEntries { get; init; } = 4096;

    /// <summary>Most text queries embedded in one forward pass; 1 turns batching off (each query its own pass, nothing shared).</summary>
    public int TextBatchSize { get; init; } = 32;
}
