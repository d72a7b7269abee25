namespace ClipSharp.Search.Sync;

/// <summary>An image file found under the root.</summary>
/// <param name="RelativePath">'/'-separated path relative to the root (through links as walked).</param>
/// <param name="FullPath">Absolute path as walked.</param>
/// <param name="Size">Size in bytes (of the link target for a symbolic link).</param>
/// <param name="MtimeTicks">Last write time, UTC ticks.</param>
public sealed record WalkedFile(string RelativePath, string FullPath, long Size, long MtimeTicks);

/// <summary>A file or folder left out of the index, with the reason.</summary>
public sealed record SyncIssue(string Path, string Reason);

/// <summary>What a walk found.</summary>
public sealed record WalkResult(List<WalkedFile> Files, List<SyncIssue> Skipped, List<SyncIssue> Refused);

/// <summary>
/// Lists image files under a root, depth first in a stable order (a folder's files by name (ordinal),
/// then its subfolders by name); skips hidden
/// entries (name starting with '.', or the Hidden attribute) and entries matching the exclude globs;
/// follows a symbolic link only when its fully resolved target lies inside the root (others are reported
/// as skipped), and never enters the same real folder twice.
/// </summary>
public sealed class FolderWalker
{
    /// <summary>Extensions indexed by default (lower case, with dot).</summary>
    public static readonly IReadOnlySet<string> DefaultExtensions = new HashSet<string> { ".jpg", ".jpeg", ".png", ".bmp", ".gif" };

    /// <summary>Image extensions recognised but refused (reported as failures), with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> DefaultRefused = new Dictionary<string, string>
    {
        [".webp"] = "WebP images are not supported (no WebP decoder); convert to PNG or JPEG",
    };

    private readonly string _root;
    private readonly GlobMatcher _exclude;
    private readonly IReadOnlySet<string> _extensions;
    private readonly IReadOnlyDictionary<string, string> _refused;

    public FolderWalker(string root, GlobMatcher? exclude = null, IReadOnlySet<string>? extensions = null,
        IReadOnlyDictionary<string, string>? refused = null)
    {
        _root = Path.GetFullPath(root);
        if (!Directory.Exists(_root)) throw new DirectoryNotFoundException($"image folder not found: {_root}");
        _exclude = exclude ?? GlobMatcher.None;
        _extensions = extensions ?? DefaultExtensions;
        _refused = refused ?? DefaultRefused;
    }

    public WalkResult Walk(CancellationToken cancellationToken = default)
    {
        var result = new WalkResult([], [], []);
        string rootReal = RealPath.Resolve(_root);
        var visited = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal) { rootReal };
        var stack = new Stack<(string Dir, string Real, string Prefix)>();
        stack.Push((_root, rootReal, ""));
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 };
        while (stack.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (dir, real, prefix) = stack.Pop();
            FileSystemInfo[] entries;
            try { entries = new DirectoryInfo(dir).GetFileSystemInfos("*", options); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result.Skipped.Add(new SyncIssue(prefix.TrimEnd('/'), $"cannot list folder: {e.Message}"));
                continue;
            }
            Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            var subdirs = new List<(string, string, string)>();
            foreach (var e in entries)
            {
                if (e.Name.StartsWith('.') || (e.Attributes & FileAttributes.Hidden) != 0) continue;
                string rel = prefix + e.Name;
                bool isDir = e is DirectoryInfo;
                bool isLink = e.LinkTarget != null;
                string entryReal = Path.Combine(real, e.Name);
                if (isLink)
                {
                    try { entryReal = RealPath.Resolve(e.FullName); }
                    catch (IOException ex) { result.Skipped.Add(new SyncIssue(rel, ex.Message)); continue; }
                    if (!RealPath.IsUnder(entryReal, rootReal))
                    {
                        result.Skipped.Add(new SyncIssue(rel, $"symbolic link to {entryReal}, outside the indexed folder; not followed"));
                        continue;
                    }
                    isDir = Directory.Exists(entryReal);
                    if (!isDir && !File.Exists(entryReal))
                    {
                        result.Skipped.Add(new SyncIssue(rel, $"broken symbolic link (target {entryReal} does not exist)"));
                        continue;
                    }
                }
                if (_exclude.IsExcluded(rel, isDir)) continue;
                if (isDir)
                {
                    if (visited.Add(entryReal)) subdirs.Add((e.FullName, entryReal, rel + "/"));
                    continue;
                }
                string ext = Path.GetExtension(e.Name).ToLowerInvariant();
                if (_refused.TryGetValue(ext, out var reason))
                {
                    result.Refused.Add(new SyncIssue(rel, reason));
                    continue;
                }
                if (!_extensions.Contains(ext)) continue;
                var info = isLink ? new FileInfo(entryReal) : (FileInfo)e;
                try
                {
                    result.Files.Add(new WalkedFile(rel, e.FullName, info.Length, info.LastWriteTimeUtc.Ticks));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    result.Skipped.Add(new SyncIssue(rel, $"cannot read file attributes: {ex.Message}"));
                }
            }
            for (int i = subdirs.Count - 1; i >= 0; i--) stack.Push(subdirs[i]); // pop in name order
        }
        return result;
    }
}
