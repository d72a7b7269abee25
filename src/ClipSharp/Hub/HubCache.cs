namespace ClipSharp.Hub;

/// <summary>
/// The huggingface_hub cache layout, so Python tools and ClipSharp share downloads:
/// <code>
/// {root}/models--{org}--{name}/
///     blobs/{etag}                       file contents, named by ETag (git sha1, or sha256 for LFS files)
///     blobs/{etag}.incomplete            a download in progress (resumed with a Range request)
///     refs/{revision}                    the commit hash a branch or tag pointed at when last resolved
///     snapshots/{commit}/{path}          relative symlinks to ../../blobs/{etag}
///     .no_exist/{commit}/{path}          empty markers for files the hub answered 404 for
/// {root}/.locks/models--{org}--{name}/{etag}.lock
/// </code>
/// </summary>
public sealed class HubCache(string root)
{
    /// <summary>The cache folder (HF_HUB_CACHE).</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>models--org--name: the folder name huggingface_hub gives a model repository.</summary>
    public static string RepoFolderName(string repoId) => "models--" + repoId.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>{root}/models--org--name.</summary>
    public string RepoFolder(string repoId) => Path.Combine(Root, RepoFolderName(repoId));

    /// <summary>{repo}/refs/{revision} (a revision like refs/pr/1 becomes nested folders, as in Python).</summary>
    public string RefPath(string repoId, string revision) => Path.Combine(RepoFolder(repoId), "refs", revision);

    /// <summary>{repo}/snapshots/{commit}.</summary>
    public string SnapshotDir(string repoId, string commit) => Path.Combine(RepoFolder(repoId), "snapshots", commit);

    /// <summary>{repo}/blobs/{etag}.</summary>
    public string BlobPath(string repoId, string etag) => Path.Combine(RepoFolder(repoId), "blobs", etag);

    /// <summary>{repo}/blobs/{etag}.incomplete: the partial download that a later run resumes.</summary>
    public string IncompletePath(string repoId, string etag) => BlobPath(repoId, etag) + ".incomplete";

    /// <summary>{root}/.locks/models--org--name/{etag}.lock, the lock huggingface_hub's FileLock uses too.</summary>
    public string LockPath(string repoId, string etag) => Path.Combine(Root, ".locks", RepoFolderName(repoId), etag + ".lock");

    /// <summary>{repo}/.no_exist/{commit}/{path}.</summary>
    public string NoExistPath(string repoId, string commit, string file) =>
        Path.Combine(RepoFolder(repoId), ".no_exist", commit, file);

    /// <summary>The commit a revision resolves to from the cache alone: itself for a commit hash, else refs/{revision}.</summary>
    public string? ResolveCommit(string repoId, string revision)
    {
        if (HubModelRef.IsCommitHash(revision)) return revision;
        var path = RefPath(repoId, revision);
        if (!File.Exists(path)) return null;
        var commit = File.ReadAllText(path).Trim();
        return HubModelRef.IsCommitHash(commit) ? commit : null;
    }

    /// <summary>Records that <paramref name="revision"/> points at <paramref name="commit"/> (no-op for commit hashes).</summary>
    public void WriteRef(string repoId, string revision, string commit)
    {
        if (revision == commit) return;
        var path = RefPath(repoId, revision);
        if (File.Exists(path) && File.ReadAllText(path).Trim() == commit) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllText(tmp, commit);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The snapshot file for <paramref name="file"/> when it exists and its blob is present; else null.</summary>
    public string? CachedFile(string repoId, string commit, string file)
    {
        var path = Path.Combine(SnapshotDir(repoId, commit), file);
        return TargetExists(path) ? path : null;
    }

    /// <summary>True when <paramref name="path"/> is a file, or a symlink whose final target is a file (a dangling link is false).</summary>
    public static bool TargetExists(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget == null) return info.Exists;
        return info.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true } target && target is FileInfo;
    }

    /// <summary>True when an earlier online run learned that the repository has no such file at this commit.</summary>
    public bool IsKnownMissing(string repoId, string commit, string file) => File.Exists(NoExistPath(repoId, commit, file));

    /// <summary>Writes the .no_exist marker for a file the hub answered 404 for.</summary>
    public void MarkMissing(string repoId, string commit, string file)
    {
        var path = NoExistPath(repoId, commit, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path)) File.WriteAllBytes(path, []);
    }

    /// <summary>
    /// Points snapshots/{commit}/{file} at blobs/{etag} with a relative symlink (../../blobs/{etag}, one more ../
    /// per folder in <paramref name="file"/>). Where symlinks are not allowed (Windows without developer mode) the
    /// blob is copied instead, as huggingface_hub does.
    /// </summary>
    public string LinkSnapshotFile(string repoId, string commit, string file, string etag)
    {
        var link = Path.Combine(SnapshotDir(repoId, commit), file);
        var blob = BlobPath(repoId, etag);
        var dir = Path.GetDirectoryName(link)!;
        Directory.CreateDirectory(dir);
        var target = Path.GetRelativePath(dir, blob);

        var existing = new FileInfo(link);
        if (existing.LinkTarget == target && TargetExists(link)) return link;

        // Build the link (or copy) under a temporary name and rename it over the old entry: the swap is atomic,
        // and a concurrent writer can never make us write through a link into the blob itself.
        var tmp = link + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.CreateSymbolicLink(tmp, target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            File.Copy(blob, tmp, overwrite: true);
        }
        File.Move(tmp, link, overwrite: true);
        return link;
    }
}
