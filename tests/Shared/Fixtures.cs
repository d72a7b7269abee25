namespace ClipSharp.Testing;

/// <summary>
/// Locates the reference fixtures in ../shared (or $CLIPSHARP_SHARED). Missing fixtures fail the
/// test loudly: a parity test that silently skips proves nothing.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> SharedRoot = new(FindShared);

    /// <summary>The shared folder: $CLIPSHARP_SHARED, else ../shared beside the checkout.</summary>
    public static string Shared => SharedRoot.Value;

    /// <summary>The repository root (the folder holding ClipSharp.slnx).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(System.IO.Path.Combine(dir.FullName, "ClipSharp.slnx")))
                dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException(
                $"could not find ClipSharp.slnx above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>A path under shared/fixtures; throws if it does not exist.</summary>
    public static string Path(params string[] parts)
    {
        var p = System.IO.Path.Combine([Shared, "fixtures", .. parts]);
        if (!File.Exists(p) && !Directory.Exists(p))
            throw new FileNotFoundException(
                $"reference fixture missing: {p} (set CLIPSHARP_SHARED to the folder holding fixtures/ and data/)", p);
        return p;
    }

    /// <summary>A path under shared/data; throws if it does not exist.</summary>
    public static string Data(string name)
    {
        var p = System.IO.Path.Combine(Shared, "data", name);
        if (!File.Exists(p))
            throw new FileNotFoundException($"shared data missing: {p} (set CLIPSHARP_SHARED)", p);
        return p;
    }

    private static string FindShared()
    {
        var env = Environment.GetEnvironmentVariable("CLIPSHARP_SHARED");
        if (!string.IsNullOrEmpty(env))
        {
            if (!Directory.Exists(System.IO.Path.Combine(env, "fixtures")))
                throw new DirectoryNotFoundException($"CLIPSHARP_SHARED={env} has no fixtures/ folder");
            return env;
        }
        var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared"));
        if (!Directory.Exists(System.IO.Path.Combine(candidate, "fixtures")))
            throw new DirectoryNotFoundException(
                $"reference fixtures not found at {candidate}; set CLIPSHARP_SHARED to the folder holding fixtures/ and data/");
        return candidate;
    }
}
