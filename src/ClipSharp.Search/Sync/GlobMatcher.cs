namespace ClipSharp.Search.Sync;

/// <summary>
/// Exclude patterns for folder sync, matched against '/'-separated paths relative to the root.
/// <list type="bullet">
/// <item><c>*</c> matches any run of characters except '/'; <c>?</c> one character except '/';
/// <c>**</c> any run including '/'; <c>**/</c> zero or more whole folders.</item>
/// <item>A pattern without '/' is matched against the name of every file and folder at any depth
/// (<c>*.tmp</c>, <c>thumbnails</c>); a pattern with '/' against the whole relative path
/// (<c>raw/**/*.png</c>). A leading '/' or './' is ignored; a trailing '/' restricts it to folders.</item>
/// <item>An excluded folder excludes everything below it. Matching is case-sensitive (ordinal).</item>
/// </list>
/// </summary>
public sealed class GlobMatcher
{
    private readonly (string Pattern, bool Anchored, bool DirectoryOnly)[] _patterns;

    public GlobMatcher(IEnumerable<string> patterns)
    {
        var list = new List<(string, bool, bool)>();
        foreach (var raw in patterns)
        {
            var p = raw.Trim().Replace('\\', '/');
            if (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
            p = p.TrimStart('/');
            bool dirOnly = p.EndsWith('/');
            p = p.TrimEnd('/');
            if (p.Length == 0) throw new ArgumentException($"exclude pattern '{raw}' is empty");
            list.Add((p, p.Contains('/'), dirOnly));
        }
        _patterns = list.ToArray();
    }

    public static GlobMatcher None { get; } = new([]);

    /// <summary>True if the entry at <paramref name="relativePath"/> ('/'-separated) is excluded.</summary>
    public bool IsExcluded(string relativePath, bool isDirectory)
    {
        if (_patterns.Length == 0) return false;
        int slash = relativePath.LastIndexOf('/');
        string name = slash < 0 ? relativePath : relativePath[(slash + 1)..];
        foreach (var (pattern, anchored, dirOnly) in _patterns)
        {
            if (dirOnly && !isDirectory) continue;
            if (Match(pattern, anchored ? relativePath : name)) return true;
        }
        return false;
    }

    /// <summary>Whole-string glob match of <paramref name="text"/> against <paramref name="pattern"/> (see the class summary).</summary>
    public static bool Match(string pattern, string text)
    {
        // memo[p, t]: 0 unknown, 1 false, 2 true
        var memo = new byte[(pattern.Length + 1) * (text.Length + 1)];
        return Match(pattern, text, 0, 0, memo);
    }

    private static bool Match(string pat, string text, int p, int t, byte[] memo)
    {
        int key = p * (text.Length + 1) + t;
        if (memo[key] != 0) return memo[key] == 2;
        bool result = MatchUncached(pat, text, p, t, memo);
        memo[key] = result ? (byte)2 : (byte)1;
        return result;
    }

    private static bool MatchUncached(string pat, string text, int p, int t, byte[] memo)
    {
        if (p == pat.Length) return t == text.Length;
        char c = pat[p];
        if (c == '*' && p + 1 < pat.Length && pat[p + 1] == '*')
        {
            int q = p + 2;
            if (q < pat.Length && pat[q] == '/')
            {
                // "**/": zero folders, or any prefix ending in '/'
                if (Match(pat, text, q + 1, t, memo)) return true;
                for (int k = t; k < text.Length; k++)
                    if (text[k] == '/' && Match(pat, text, q + 1, k + 1, memo)) return true;
                return false;
            }
            for (int k = t; k <= text.Length; k++)
                if (Match(pat, text, q, k, memo)) return true;
            return false;
        }
        if (c == '*')
        {
            for (int k = t; k <= text.Length; k++)
            {
                if (Match(pat, text, p + 1, k, memo)) return true;
                if (k < text.Length && text[k] == '/') break;
            }
            return false;
        }
        if (t == text.Length) return false;
        if (c == '?') return text[t] != '/' && Match(pat, text, p + 1, t + 1, memo);
        return c == text[t] && Match(pat, text, p + 1, t + 1, memo);
    }
}
