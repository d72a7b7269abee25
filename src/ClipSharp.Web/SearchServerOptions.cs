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
}
