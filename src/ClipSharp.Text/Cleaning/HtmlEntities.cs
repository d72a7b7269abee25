using System.Collections.Frozen;
using System.Globalization;
using System.Text;

namespace ClipSharp.Text.Cleaning;

/// <summary>
/// HTML character references, decoded two ways:
/// <list type="bullet">
/// <item><see cref="PythonUnescape"/>: Python's <c>html.unescape</c> (named references with or without
/// ';' using the longest known prefix, numeric references with its replacement table).</item>
/// <item><see cref="FtfyUnescape"/>: ftfy's cautious variant, which decodes only <c>&amp;name;</c> forms
/// ending in ';' (plus upper-case aliases of lower-case names) and numeric references.</item>
/// </list>
/// The table of names is html.entities.html5 (Resources/html5_entities.txt).
/// </summary>
internal static class HtmlEntities
{
    private const int MaxNamedLength = 32;  // Python's [^\t\n\f <&#;]{1,32}
    private const int MaxFtfyLength = 24;   // ftfy's &#?[0-9A-Za-z]{1,24};

    private static readonly (FrozenDictionary<string, string> Html5, FrozenDictionary<string, string> Ftfy) Tables = Load();

    private static (FrozenDictionary<string, string>, FrozenDictionary<string, string>) Load()
    {
        const string resource = "ClipSharp.Text.Resources.html5_entities.txt";
        using var stream = typeof(HtmlEntities).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from ClipSharp.Text");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html5 = new Dictionary<string, string>(StringComparer.Ordinal);
        var ftfy = new Dictionary<string, string>(StringComparer.Ordinal);
        int lineNo = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0 || line[0] == '#') continue;
            var parts = line.Split('\t');
            if (parts.Length != 3)
                throw new InvalidDataException($"{resource} line {lineNo}: expected 3 tab-separated fields, found {parts.Length}");
            string name = parts[0], value = FromHex(parts[1]);
            html5[name] = value;
            if (name.EndsWith(';'))
            {
                ftfy["&" + name] = value;
                if (parts[2] != "-") ftfy["&" + name.ToUpperInvariant()] = FromHex(parts[2]);
            }
        }
        return (html5.ToFrozenDictionary(StringComparer.Ordinal), ftfy.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private static string FromHex(string field)
    {
        var sb = new StringBuilder();
        foreach (var hex in field.Split(' '))
            sb.Append(char.ConvertFromUtf32(int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
        return sb.ToString();
    }

    /// <summary>Python's <c>html.unescape(s)</c>.</summary>
    public static string PythonUnescape(string s)
    {
        int amp = s.IndexOf('&');
        if (amp < 0) return s;
        var sb = new StringBuilder(s.Length);
        int copied = 0;
        while (amp >= 0)
        {
            int end = TryPythonReference(s, amp, sb, copied);
            if (end > 0) copied = end;
            amp = s.IndexOf('&', end > 0 ? end : amp + 1);
        }
        sb.Append(s, copied, s.Length - copied);
        return sb.ToString();
    }

    /// <summary>Tries to decode the reference starting at <paramref name="amp"/>; on success flushes
    /// s[copied..amp] and the replacement into <paramref name="sb"/> and returns the end index, else 0.</summary>
    private static int TryPythonReference(string s, int amp, StringBuilder sb, int copied)
    {
        int i = amp + 1;
        if (i >= s.Length) return 0;
        if (s[i] == '#')
        {
            i++;
            bool hex = i < s.Length && (s[i] == 'x' || s[i] == 'X');
            int digitsStart = hex ? i + 1 : i;
            int j = digitsStart;
            while (j < s.Length && (hex ? char.IsAsciiHexDigit(s[j]) : char.IsAsciiDigit(s[j]))) j++;
            if (j == digitsStart) return 0;
            long num = ParseCapped(s.AsSpan(digitsStart, j - digitsStart), hex ? 16 : 10);
            if (j < s.Length && s[j] == ';') j++;
            sb.Append(s, copied, amp - copied);
            AppendNumeric(sb, num);
            return j;
        }
        int k = i, count = 0;
        while (k < s.Length && count < MaxNamedLength && IsNameChar(s[k]))
        {
            k += char.IsHighSurrogate(s[k]) && k + 1 < s.Length && char.IsLowSurrogate(s[k + 1]) ? 2 : 1;
            count++;
        }
        if (count == 0) return 0;
        if (k < s.Length && s[k] == ';') { k++; count++; }
        string name = s[i..k];
        sb.Append(s, copied, amp - copied);
        if (Tables.Html5.TryGetValue(name, out var value))
        {
            sb.Append(value);
            return k;
        }
        // Longest known prefix of at least 2 characters, shorter than the whole name. Every known name
        // is ASCII, so only the leading ASCII run can match and code points equal chars there.
        int ascii = 0;
        while (ascii < name.Length && name[ascii] < 0x80) ascii++;
        for (int x = Math.Min(count - 1, ascii); x >= 2; x--)
        {
            if (Tables.Html5.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name.AsSpan(0, x), out value))
            {
                sb.Append(value).Append(name, x, name.Length - x);
                return k;
            }
        }
        sb.Append('&').Append(name);
        return k;
    }

    private static bool IsNameChar(char c) => c is not ('\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';');

    private static long ParseCapped(ReadOnlySpan<char> digits, int radix)
    {
        long v = 0;
        foreach (char c in digits)
        {
            v = v * radix + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
            if (v > 0x10FFFF) return 0x110000;  // every value above U+10FFFF decodes the same way
        }
        return v;
    }

    private static void AppendNumeric(StringBuilder sb, long num)
    {
        if (num == 0x00) { sb.Append('\uFFFD'); return; }
        if (num == 0x0D) { sb.Append('\r'); return; }
        if (num is >= 0x80 and <= 0x9F) { sb.Append(CodePageTables.SloppyWindows1252[(int)num]); return; }
        if (num is >= 0xD800 and <= 0xDFFF || num > 0x10FFFF) { sb.Append('\uFFFD'); return; }
        if (num is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or 0x7F or >= 0xFDD0 and <= 0xFDEF
            || (num & 0xFFFE) == 0xFFFE)
            return;
        sb.Append(char.ConvertFromUtf32((int)num));
    }

    /// <summary>ftfy's <c>unescape_html</c>: <c>&amp;#?[0-9A-Za-z]{1,24};</c> references that ftfy knows.</summary>
    public static string FtfyUnescape(string s)
    {
        int amp = s.IndexOf('&');
        if (amp < 0) return s;
        StringBuilder? sb = null;
        int copied = 0;
        while (amp >= 0)
        {
            int i = amp + 1;
            if (i < s.Length && s[i] == '#') i++;
            int j = i;
            while (j < s.Length && char.IsAsciiLetterOrDigit(s[j])) j++;
            int next = amp + 1;
            if (j > i && j - i <= MaxFtfyLength && j < s.Length && s[j] == ';')
            {
                string match = s[amp..(j + 1)];
                string? replacement = null;
                if (Tables.Ftfy.TryGetValue(match, out var v)) replacement = v;
                else if (match.StartsWith("&#", StringComparison.Ordinal))
                {
                    string decoded = PythonUnescape(match);
                    if (!decoded.Contains(';')) replacement = decoded;
                }
                if (replacement != null)
                {
                    sb ??= new StringBuilder(s.Length);
                    sb.Append(s, copied, amp - copied).Append(replacement);
                    copied = j + 1;
                }
                next = j + 1;
            }
            amp = s.IndexOf('&', next);
        }
        if (sb == null) return s;
        sb.Append(s, copied, s.Length - copied);
        return sb.ToString();
    }
}
