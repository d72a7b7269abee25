using System.Text;
using System.Text.RegularExpressions;

namespace ClipSharp.Text.Cleaning;

/// <summary>
/// The character-level fixes that ftfy's <c>fix_text</c> applies after mojibake repair, each a pure
/// string → string function returning the same instance when nothing changes.
/// </summary>
internal static partial class CharacterFixes
{
    /// <summary>C1 controls U+0080..U+009F become the Windows-1252 character of that byte (the five bytes
    /// Windows-1252 leaves undefined stay as they are).</summary>
    public static string FixC1Controls(string s)
    {
        if (s.AsSpan().IndexOfAnyInRange('\u0080', '\u009F') < 0) return s;
        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
            if (chars[i] is >= '\u0080' and <= '\u009F')
                chars[i] = CodePageTables.SloppyWindows1252[chars[i]];
        return new string(chars);
    }

    /// <summary>Latin-alphabet ligatures and digraph letters, each replaced by the letters it stands for.</summary>
    private static string? Ligature(char c) => c switch
    {
        '\u0132' => "IJ", '\u0133' => "ij", '\u0149' => "\u02BCn",
        '\u01C4' => "D\u017D", '\u01C5' => "D\u017E", '\u01C6' => "d\u017E",
        '\u01C7' => "LJ", '\u01C8' => "Lj", '\u01C9' => "lj",
        '\u01CA' => "NJ", '\u01CB' => "Nj", '\u01CC' => "nj",
        '\u01F1' => "DZ", '\u01F2' => "Dz", '\u01F3' => "dz",
        '\uFB00' => "ff", '\uFB01' => "fi", '\uFB02' => "fl", '\uFB03' => "ffi", '\uFB04' => "ffl",
        '\uFB05' => "\u017Ft", '\uFB06' => "st",
        _ => null,
    };

    /// <summary>Replaces Latin ligatures (ﬁ, ﬂ, Ĳ, Ǆ, …) with their component letters.</summary>
    public static string FixLatinLigatures(string s) => MapChars(s, Ligature, static c => c is >= '\u0132' and <= '\u01F3' or >= '\uFB00' and <= '\uFB06');

    private static readonly string?[] WidthMap = BuildWidthMap();

    /// <summary>U+3000 → space, and every U+FF01..U+FFEF whose NFKC form differs → that form.</summary>
    private static string?[] BuildWidthMap()
    {
        var map = new string?[0xFFF0 - 0xFF01];
        for (int c = 0xFF01; c < 0xFFF0; c++)
        {
            string ch = ((char)c).ToString(), nfkc = ch.Normalize(NormalizationForm.FormKC);
            if (nfkc != ch) map[c - 0xFF01] = nfkc;
        }
        return map;
    }

    /// <summary>Full-width ASCII and half-width katakana/hangul become their standard-width forms.</summary>
    public static string FixCharacterWidth(string s) =>
        MapChars(s, static c => c == '\u3000' ? " " : c is >= '\uFF01' and < '\uFFF0' ? WidthMap[c - 0xFF01] : null,
                 static c => c == '\u3000' || c >= '\uFF01' && c < '\uFFF0');

    /// <summary>U+02BC and U+2018..U+201B become ', U+201C..U+201F become ".</summary>
    public static string UncurlQuotes(string s)
    {
        if (s.AsSpan().IndexOfAnyInRange('\u2018', '\u201F') < 0 && !s.Contains('\u02BC')) return s;
        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (c == '\u02BC' || c is >= '\u2018' and <= '\u201B') chars[i] = '\'';
            else if (c is >= '\u201C' and <= '\u201F') chars[i] = '"';
        }
        return new string(chars);
    }

    /// <summary>CRLF, CR, U+2028, U+2029 and U+0085 all become LF.</summary>
    public static string FixLineBreaks(string s)
    {
        if (s.AsSpan().IndexOfAny("\r\u2028\u2029\u0085") < 0) return s;
        return s.Replace("\r\n", "\n").Replace('\r', '\n').Replace('\u2028', '\n').Replace('\u2029', '\n').Replace('\u0085', '\n');
    }

    /// <summary>Lone UTF-16 surrogates become U+FFFD (paired ones already are one code point here).</summary>
    public static string FixSurrogates(string s)
    {
        int i = s.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return s;
        char[]? chars = null;
        for (; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            chars ??= s.ToCharArray();
            chars[i] = '\uFFFD';
        }
        return chars == null ? s : new string(chars);
    }

    [GeneratedRegex("\u001B\\[((?:\\d|;)*)([a-zA-Z])", RegexOptions.CultureInvariant)]
    private static partial Regex AnsiEscape();

    /// <summary>Removes ANSI terminal escapes: ESC '[' (digits or ';')* letter.</summary>
    public static string RemoveTerminalEscapes(string s) => s.Contains('\u001B') ? AnsiEscape().Replace(s, "") : s;

    /// <summary>True for the control characters ftfy deletes: U+0000..U+0008, U+000B, U+000E..U+001F,
    /// U+007F, U+206A..U+206F, U+FEFF and U+FFF9..U+FFFC.</summary>
    private static bool IsRemovedControl(char c) =>
        c <= '\u0008' || c == '\u000B' || c is >= '\u000E' and <= '\u001F' || c == '\u007F'
        || c is >= '\u206A' and <= '\u206F' || c == '\uFEFF' || c is >= '\uFFF9' and <= '\uFFFC';

    /// <summary>Deletes the control characters of <see cref="IsRemovedControl"/>.</summary>
    public static string RemoveControlChars(string s)
    {
        int i = 0;
        while (i < s.Length && !IsRemovedControl(s[i])) i++;
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length);
        sb.Append(s, 0, i);
        for (; i < s.Length; i++)
            if (!IsRemovedControl(s[i])) sb.Append(s[i]);
        return sb.ToString();
    }

    /// <summary>NFC normalisation (no allocation when already normalised). .NET refuses U+FFFE, a
    /// starter that never composes, so text around it is normalised piece by piece, which is exact.</summary>
    public static string Nfc(string s)
    {
        if (!s.Contains('\uFFFE'))
            return s.IsNormalized(NormalizationForm.FormC) ? s : s.Normalize(NormalizationForm.FormC);
        var parts = s.Split('\uFFFE');
        for (int i = 0; i < parts.Length; i++) parts[i] = Nfc(parts[i]);
        return string.Join('\uFFFE', parts);
    }

    private static string MapChars(string s, Func<char, string?> map, Func<char, bool> candidate)
    {
        int i = 0;
        while (i < s.Length && !(candidate(s[i]) && map(s[i]) != null)) i++;
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length + 8);
        sb.Append(s, 0, i);
        for (; i < s.Length; i++)
        {
            string? r = candidate(s[i]) ? map(s[i]) : null;
            if (r != null) sb.Append(r); else sb.Append(s[i]);
        }
        return sb.ToString();
    }
}
