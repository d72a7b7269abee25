namespace ClipSharp.Search.Sync;

/// <summary>Resolves every symbolic link in a path, component by component (like POSIX realpath).</summary>
public static class RealPath
{
    private const int MaxLinkHops = 64;

    /// <summary>
    /// The absolute path with all links, "." and ".." resolved. Components that do not exist are kept
    /// as written. Throws <see cref="IOException"/> on a link loop.
    /// </summary>
    public static string Resolve(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(Split(full[root.Length..]).Reverse());
        string current = root;
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part is "" or ".") continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? current;
                continue;
            }
            string candidate = Path.Combine(current, part);
            string? target = null;
            try { target = new FileInfo(candidate).LinkTarget; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            if (target == null)
            {
                current = candidate;
                continue;
            }
            if (++hops > MaxLinkHops) throw new IOException($"too many levels of symbolic links resolving {path} (at {candidate})");
            string? targetRoot = Path.IsPathRooted(target) ? Path.GetPathRoot(target) : null;
            if (targetRoot != null)
            {
                current = targetRoot;
                target = target[targetRoot.Length..];
            }
            foreach (var p in Split(target).Reverse()) pending.Push(p);
        }
        return current.Length > root.Length ? current.TrimEnd(Path.DirectorySeparatorChar) : current;
    }

    /// <summary>True if <paramref name="path"/> equals <paramref name="root"/> or lies below it (both already resolved).</summary>
    public static bool IsUnder(string path, string root)
    {
        var cmp = OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (string.Equals(path, root, cmp)) return true;
        string prefix = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(prefix, cmp);
    }

    private static IEnumerable<string> Split(string p) =>
        p.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
