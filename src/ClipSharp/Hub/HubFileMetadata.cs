using System.Text.RegularExpressions;

namespace ClipSharp.Hub;

/// <summary>
/// What a HEAD on <c>{endpoint}/{repo}/resolve/{revision}/{file}</c> tells about a file: the commit the revision
/// resolved to (X-Repo-Commit), the content's ETag (X-Linked-Etag for LFS files, else ETag; quotes and W/
/// stripped), its size (X-Linked-Size, else Content-Length) and where to GET it (the redirect's Location for LFS
/// files, which live on a CDN).
/// </summary>
internal sealed partial record HubFileMetadata(string Commit, string Etag, long? Size, Uri DownloadUrl)
{
    /// <summary>LFS files carry their sha256 as ETag: 64 lower-case hex digits.</summary>
    public bool EtagIsSha256 => Sha256Regex().IsMatch(Etag);

    /// <summary>Removes a weak-validator prefix (W/) and surrounding quotes.</summary>
    public static string NormalizeEtag(string raw)
    {
        var s = raw.Trim();
        if (s.StartsWith("W/", StringComparison.Ordinal)) s = s[2..];
        return s.Trim('"');
    }

    /// <summary>ETags become file names under blobs/, so only plain name characters are accepted.</summary>
    public static bool IsSafeEtag(string etag) => SafeEtagRegex().IsMatch(etag) && !etag.Contains("..", StringComparison.Ordinal);

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex Sha256Regex();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex SafeEtagRegex();
}

/// <summary>Outcome of a metadata request: the file's metadata, or the 404 that says the repository lacks it.</summary>
internal readonly record struct MetadataResult(HubFileMetadata? Metadata, string? Commit)
{
    public bool Exists => Metadata != null;
}
