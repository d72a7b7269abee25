using System.Text.RegularExpressions;

namespace ClipSharp.Hub;

/// <summary>
/// A model repository at a revision, written <c>hf:org/name@revision</c> (the <c>hf:</c> prefix and
/// <c>@revision</c> are optional; the revision defaults to <c>main</c>). The revision may be a branch, a tag or a
/// 40-hex commit.
/// </summary>
public sealed partial record HubModelRef(string RepoId, string Revision)
{
    /// <summary>The revision used when none is given.</summary>
    public const string DefaultRevision = "main";

    /// <summary>"hf:org/name@rev", the form error messages use.</summary>
    public override string ToString() => $"hf:{RepoId}@{Revision}";

    /// <summary>Parses <c>[hf:]org/name[@revision]</c>; throws ArgumentException naming the input when malformed.</summary>
    public static HubModelRef Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var s = text.StartsWith("hf:", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
        var at = s.IndexOf('@');
        var repo = at < 0 ? s : s[..at];
        var rev = at < 0 ? DefaultRevision : s[(at + 1)..];
        ValidateRepoId(repo, text);
        ValidateRevision(rev, text);
        return new HubModelRef(repo, rev);
    }

    /// <summary>True for "hf:..." strings, the way the CLI tells a hub model from a local path.</summary>
    public static bool LooksLikeHubRef(string text) => text.StartsWith("hf:", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when <paramref name="revision"/> is a full 40-hex commit hash (lower case, as the Hub writes them).</summary>
    public static bool IsCommitHash(string revision) => CommitRegex().IsMatch(revision);

    /// <summary>Throws ArgumentException unless <paramref name="repoId"/> is "name" or "org/name" with hub-legal characters.</summary>
    public static void ValidateRepoId(string repoId, string? context = null)
    {
        if (!RepoIdRegex().IsMatch(repoId) || repoId.Contains("..", StringComparison.Ordinal) || repoId.Contains("--", StringComparison.Ordinal))
            throw new ArgumentException($"{context ?? repoId}: '{repoId}' is not a hub repository id (expected org/name: letters, digits, '-', '_', '.')");
    }

    /// <summary>Throws ArgumentException for an empty revision or one that could escape the cache folder.</summary>
    public static void ValidateRevision(string revision, string? context = null)
    {
        if (revision.Length == 0 || revision.StartsWith('/') || revision.EndsWith('/') || revision.Contains('\\')
            || revision.Split('/').Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"{context ?? revision}: '{revision}' is not a valid revision (branch, tag or commit hash)");
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitRegex();

    [GeneratedRegex(@"^([A-Za-z0-9][A-Za-z0-9_.\-]*/)?[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex RepoIdRegex();
}
