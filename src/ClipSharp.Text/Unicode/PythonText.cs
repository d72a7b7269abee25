using System.Collections.Frozen;
using System.Text;

namespace ClipSharp.Text.Unicode;

/// <summary>
/// Python 3 <c>str</c> semantics that .NET does not share: <c>lower()</c> (full case mapping, e.g.
/// U+0130 → "i\u0307", with the final-sigma rule) and <c>strip()</c> / <c>isspace()</c> (which include
/// U+001C..U+001F), plus the regex module's <c>\s</c>. All work on code points, so surrogate pairs are
/// read as one character the way Python reads them.
/// </summary>
public static class PythonText
{
    private const int CapitalSigma = 0x3A3, SmallSigma = 0x3C3, FinalSigma = 0x3C2;

    private static readonly FrozenDictionary<int, string> LowerMap = BuildLowerMap();

    private static FrozenDictionary<int, string> BuildLowerMap()
    {
        var keys = PythonCharData.LowerKeys;
        var lengths = PythonCharData.LowerLengths;
        var values = PythonCharData.LowerValues;
        var map = new Dictionary<int, string>(keys.Length);
        var sb = new StringBuilder();
        for (int i = 0, v = 0; i < keys.Length; i++)
        {
            sb.Clear();
            for (int k = 0; k < lengths[i]; k++)
                sb.Append(char.ConvertFromUtf32(values[v++]));
            map[keys[i]] = sb.ToString();
        }
        return map.ToFrozenDictionary();
    }

    /// <summary>Python's <c>str.isspace()</c> for one code point.</summary>
    public static bool IsSpace(int cp) => CodePointClasses.Is(cp, CodePointClass.PythonSpace);

    /// <summary>The regex module's <c>\s</c> for one code point.</summary>
    public static bool IsRegexSpace(int cp) => CodePointClasses.Is(cp, CodePointClass.RegexSpace);

    /// <summary>Python's <c>str.strip()</c> with no argument: trims <see cref="IsSpace"/> code points at both ends.</summary>
    public static string Strip(string s)
    {
        int start = 0, end = s.Length;
        while (start < end && IsSpace(s[start])) start++;   // every Python space is in the BMP
        while (end > start && IsSpace(s[end - 1])) end--;
        return start == 0 && end == s.Length ? s : s[start..end];
    }

    /// <summary>The reference's whitespace_clean core: <c>regex.sub(r"\s+", " ", s)</c>.</summary>
    public static string CollapseSpaces(string s)
    {
        int i = 0;
        for (; i < s.Length; i++)
            if (IsRegexSpace(s[i]) && (s[i] != ' ' || (i + 1 < s.Length && IsRegexSpace(s[i + 1]))))
                break;
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, i);
        while (i < s.Length)
        {
            if (IsRegexSpace(s[i]))
            {
                sb.Append(' ');
                while (i < s.Length && IsRegexSpace(s[i])) i++;
            }
            else sb.Append(s[i++]);
        }
        return sb.ToString();
    }

    /// <summary>Python's <c>str.lower()</c>: full lower-case mapping per code point, and capital sigma
    /// becomes final sigma when a cased letter precedes it and none follows (case-ignorables skipped).</summary>
    public static string Lower(string s)
    {
        int i = 0;
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (c < 0x80 ? (uint)(c - 'A') <= 'Z' - 'A' : !char.IsSurrogate(c) ? LowerMap.ContainsKey(c) || c == CapitalSigma : true)
                break;
        }
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length + 8);
        sb.Append(s, 0, i);
        while (i < s.Length)
        {
            int cp = ReadCodePoint(s, i, out int width);
            if (cp < 0x80)
                sb.Append((uint)(cp - 'A') <= 'Z' - 'A' ? (char)(cp + 32) : (char)cp);
            else if (cp == CapitalSigma)
                sb.Append((char)(IsFinalSigma(s, i) ? FinalSigma : SmallSigma));
            else if (LowerMap.TryGetValue(cp, out var lowered))
                sb.Append(lowered);
            else
                sb.Append(s, i, width);
            i += width;
        }
        return sb.ToString();
    }

    private static bool IsFinalSigma(string s, int index)
    {
        int j = index, cp = 0;
        bool found = false;
        while (j > 0)
        {
            cp = ReadCodePointBefore(s, j, out int w);
            j -= w;
            if (!CodePointClasses.Is(cp, CodePointClass.CaseIgnorable)) { found = true; break; }
        }
        if (!found || !CodePointClasses.Is(cp, CodePointClass.Cased)) return false;
        j = index + 1;
        while (j < s.Length)
        {
            cp = ReadCodePoint(s, j, out int w);
            if (!CodePointClasses.Is(cp, CodePointClass.CaseIgnorable))
                return !CodePointClasses.Is(cp, CodePointClass.Cased);
            j += w;
        }
        return true;
    }

    /// <summary>The code point at <paramref name="i"/> (a lone surrogate reads as itself) and its UTF-16 width.</summary>
    internal static int ReadCodePoint(ReadOnlySpan<char> s, int i, out int width)
    {
        char c = s[i];
        if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, s[i + 1]);
        }
        width = 1;
        return c;
    }

    private static int ReadCodePointBefore(string s, int end, out int width)
    {
        char c = s[end - 1];
        if (char.IsLowSurrogate(c) && end >= 2 && char.IsHighSurrogate(s[end - 2]))
        {
            width = 2;
            return char.ConvertToUtf32(s[end - 2], c);
        }
        width = 1;
        return c;
    }
}
