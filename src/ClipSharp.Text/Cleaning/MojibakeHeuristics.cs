using System.Text.RegularExpressions;

namespace ClipSharp.Text.Cleaning;

/// <summary>
/// The regular expressions ftfy (Apache-2.0, © Robyn Speer) uses to decide whether text looks like
/// mojibake and where UTF-8 mojibake sits, rebuilt for .NET from the character categories ftfy 6.3
/// documents. Category strings are regex character-class bodies written with \uXXXX escapes.
/// Python's <c>\s</c> and <c>\w</c> are spelled out explicitly because .NET's differ.
/// </summary>
internal static partial class MojibakeHeuristics
{
    // Characters seen in many contexts; sequences containing them are not mojibake on their own.
    private const string Common = @"\u00A0\u00AD\u00B7\u00B4\u2013\u2014\u2015\u2026\u2019";
    private const string C1 = @"\u0080-\u009F";
    // Characters almost only ever seen in mojibake.
    private const string Bad = @"\u00A6\u00A4\u00A8\u00AC\u00AF\u00B8\u0192\u02C6\u02C7\u02D8\u02DB\u02DC\u2020\u2021\u2030\u2310\u25CA\uFFFD\u00AA\u00BA";
    private const string Law = @"\u00B6\u00A7";
    private const string Currency = @"\u00A2\u00A3\u00A5\u20A7\u20AC";
    private const string StartPunct = @"\u00A1\u00AB\u00BF\u00A9\u0384\u0385\u2018\u201A\u201C\u201E\u2022\u2039\uF8FF";
    private const string EndPunct = @"\u00AE\u00BB\u02DD\u201D\u203A\u2122";
    private const string Numeric = @"\u00B2\u00B3\u00B9\u00B1\u00BC\u00BD\u00BE\u00D7\u00B5\u00F7\u2044\u2202\u2206\u220F\u2211\u221A\u221E\u2229\u222B\u2248\u2260\u2261\u2264\u2265\u2116";
    // Letters that emoticons (kaomoji) use, so they may appear in odd company.
    private const string Kaomoji = @"\u00D2-\u00D6\u00D9-\u00DC\u00F2-\u00F6\u00F8-\u00FC\u0150\u014C\u016A\u0172\u00B0";
    private const string UpperAccented = @"\u00C0-\u00D1\u00D8\u00DC\u00DD\u0102\u0100\u0104\u0106\u010C\u010E\u0110\u0118\u011A\u0112\u0116\u011E\u0122\u0130\u012A\u0136\u0139\u013D\u0141\u013B\u0143\u0147\u0145\u0152\u0158\u015A\u015E\u0160\u0162\u0164\u016E\u0170\u0178\u0179\u017B\u017D\u0490";
    private const string LowerAccented = @"\u00DF\u00E0-\u00F1\u0103\u0105\u0101\u0107\u010D\u010F\u0111\u0119\u011B\u0113\u0117\u011F\u0123\u012F\u012B\u0137\u013A\u013E\u0142\u013C\u0153\u0155\u015B\u015F\u0161\u0165\u00FC\u017A\u017C\u017E\u0491\uFB01\uFB02";
    private const string UpperCommon = @"\u00DE\u0391-\u03A9\u0386\u0388\u0389\u038A\u038C\u038E\u038F\u03AA\u03AB\u0401-\u042F";
    private const string LowerCommon = @"\u03B1-\u03C9\u03AC\u03AD\u03AE\u03AF\u03B0\u0430-\u045F";
    private const string Box = @"\u2502\u250C\u2510\u2518\u251C\u2524\u252C\u253C\u2550-\u256C\u2580\u2584\u2588\u258C\u2590\u2591\u2592\u2593";

    // Python's str-pattern \s (str.isspace) and \w (alphanumeric or underscore).
    private const string PySpace = @"[\t\n\u000B\f\r\u001C-\u001F \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
    private const string PyWord = @"[\p{L}\p{N}_]";
    // Python's '.': any code point but LF (a surrogate pair is one code point).
    private const string PyAny = @"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\n])";

    private const string Accented = LowerAccented + UpperAccented;

    private const string BadnessPattern =
        "[" + C1 + "]"
        + "|[" + Bad + Accented + Box + StartPunct + EndPunct + Currency + Numeric + Law + "][" + Bad + "]"
        + "|[a-zA-Z][" + LowerCommon + UpperCommon + "][" + Bad + "]"
        + "|[" + Bad + "][" + Accented + Box + StartPunct + EndPunct + Currency + Numeric + Law + "]"
        + "|[" + LowerAccented + LowerCommon + Box + EndPunct + Currency + Numeric + "][" + UpperAccented + "]"
        + "|[" + Box + EndPunct + Currency + Numeric + "][" + LowerAccented + "]"
        + "|[" + LowerAccented + Box + EndPunct + "][" + Currency + "]"
        + "|" + PySpace + "[" + UpperAccented + "][" + Currency + "]"
        + "|[" + UpperAccented + Box + "][" + Numeric + Law + "]"
        + "|[" + Accented + Box + Currency + EndPunct + "][" + StartPunct + "][" + Numeric + "]"
        + "|[" + Accented + Currency + Numeric + Box + Law + "][" + EndPunct + "][" + StartPunct + "]"
        + "|[" + Currency + Numeric + Box + "][" + StartPunct + "]"
        + "|[a-z][" + UpperAccented + "][" + StartPunct + Currency + "]"
        + "|[" + Box + "][" + Kaomoji + "]"
        + "|[" + Accented + Currency + Numeric + StartPunct + EndPunct + Law + "][" + Box + "]"
        + "|[" + Box + "][" + EndPunct + "]"
        + "|[" + Accented + "][" + StartPunct + EndPunct + "]" + PyWord
        // œ not followed by an unaccented Latin letter
        + @"|[\u0152\u0153][^A-Za-z]"
        // degree sign after a capital accented letter
        + "|[" + UpperAccented + @"]\u00B0"
        // common two-character Windows-1252 mojibake the rules above miss
        + @"|[\u00C2\u00C3\u00CE\u00D0][\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9\u00B0\u00B7\u00BB" + StartPunct + EndPunct + @"\u2013\u2014\u00B4]"
        + @"|\u00D7[\u00B2\u00B3]"
        // Windows-1252 mojibake of Arabic: four characters required
        + @"|[\u00D8\u00D9][" + Common + Currency + Bad + Numeric + StartPunct + @"\u0178\u0160\u00AE\u00B0\u00B5\u00BB]"
        + @"[\u00D8\u00D9][" + Common + Currency + Bad + Numeric + StartPunct + @"\u0178\u0160\u00AE\u00B0\u00B5\u00BB]"
        // Windows-1252 mojibake starting three-byte South Asian letters
        + @"|\u00E0[\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE]"
        // MacRoman mojibake
        + @"|\u221A[\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8]"
        + @"|\u2248[\u00B0\u00A2]"
        + @"|\u201A\u00C4[\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0]"
        + @"|\u201A[\u00E2\u00F3][\u00E0\u00E4\u00B0\u00EA]"
        // Windows-1251 mojibake of U+2000-range characters, and of Latin-1 / Cyrillic
        + @"|\u0432\u0402"
        + @"|[\u0412\u0413\u0420\u0421][" + C1 + Bad + StartPunct + EndPunct + Currency + @"\u00B0\u00B5][\u0412\u0413\u0420\u0421]"
        + @"|\u0413\u045E\u0412\u0402\u0412" + PyAny + "[A-Za-z ]"
        // Windows-1252 encodings of à, á and NBSP itself
        + @"|\u00C3[\u00A0\u00A1]"
        + @"|[a-z]" + PySpace + @"?[\u00C3\u00C2] "
        + @"|^[\u00C3\u00C2] "
        // Â as the Windows-1252 prefix of the same character
        + @"|[a-z.,?!" + EndPunct + @"]\u00C2[ " + StartPunct + EndPunct + "]"
        // Windows-1253 mojibake
        + @"|\u03B2\u20AC[\u2122\u00A0\u0386\u00AD\u00AE\u00B0]"
        + @"|[\u0392\u0393\u039E\u039F][" + C1 + Bad + StartPunct + EndPunct + Currency + @"\u00B0][\u0392\u0393\u039E\u039F]"
        // Windows-1257 mojibake of U+2000-range characters
        + @"|\u0101\u20AC";

    [GeneratedRegex(BadnessPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Badness();

    /// <summary>ftfy's <c>is_bad</c>: true when any unlikely juxtaposition of mojibake characters occurs.</summary>
    public static bool IsBad(string text) => Badness().IsMatch(text);

    private const string First2 = @"\u0102\u00C2\u00C4\u0100\u00C5\u00C3\u00C6\u0106\u010C\u00C7\u010E\u0110\u00C9\u011A\u00CA\u00CB\u0116\u00C8\u0112\u0118\u00D0\u011E\u0122\u00CD\u00CE\u00CF\u0130\u00CC\u012A\u0136\u0139\u013B\u0141\u0143\u0147\u0145\u00D1\u00D3\u00D4\u00D6\u0150\u00D2\u014C\u00D8\u00D5\u0158\u015A\u0160\u015E\u0162\u00DE\u00DA\u00DB\u00DC\u0170\u00D9\u016A\u0172\u016E\u00DD\u0179\u017D\u017B\u00DF\u00D7\u0392-\u03A1\u03A3-\u03AF\u0412-\u042F";
    private const string First3 = @"\u00E1\u0103\u00E2\u00E4\u00E0\u0101\u0105\u00E5\u00E3\u00E6\u0107\u010D\u00E7\u010F\u00E9\u011B\u00EA\u00EB\u0117\u00E8\u0113\u0119\u0123\u00ED\u00EE\u00EF\u00EC\u012B\u012F\u0137\u013A\u013C\u0155\u017A\u03B0-\u03BF\u0430-\u043F";
    private const string First4 = @"\u0111\u00F0\u011F\u00F3\u0161\u03C0\u03C3\u0440\u0443";
    private const string ContinuationStrict = @"\u0080-\u00BF\u0104\u00C6\u013D\u0141\u00D8\u0156\u015A\u0160\u015E\u0164\u0178\u0179\u017D\u017B\u0152\u0105\u00E6\u0192\u013E\u0142\u00F8\u0157\u015B\u0161\u015F\u0165\u017A\u017E\u017C\u0153\u02C6\u02C7\u02D8\u02DB\u02DC\u02DD\u0384-\u0386\u0388-\u038A\u038C\u038E\u038F\u0401-\u040C\u040E\u040F\u0451-\u045C\u045E\u045F\u0490\u0491\u2020\u2021\u2030\u2039\u203A\u20AC\u2116\u2122";
    // The loose set adds ASCII space (an altered NBSP) and common punctuation.
    private const string Continuation = ContinuationStrict + @" \u2013\u2014\u2015\u2018\u2019\u201A\u201C\u201D\u201E\u2022\u2026";

    private const string Utf8DetectorPattern =
        "(?<![" + ContinuationStrict + "])(?:[" + First2 + "][" + Continuation + "]|[" + First3 + "][" + Continuation + "]{2}|["
        + First4 + "][" + Continuation + "]{3})+";

    /// <summary>ftfy's <c>UTF8_DETECTOR_RE</c>: runs that look like UTF-8 bytes decoded one byte per character.</summary>
    [GeneratedRegex(Utf8DetectorPattern, RegexOptions.CultureInvariant)]
    public static partial Regex Utf8Detector();

    // Byte patterns, matched on bytes held one per char (Latin-1 view).
    /// <summary>UTF-8 sequences in which an A0 byte looks to have become a space.</summary>
    [GeneratedRegex(@"[\u00C2\u00C3\u00C5\u00CE\u00D0\u00D9] |[\u00E2\u00E3] [\u0080-\u0084\u0086-\u009F\u00A1-\u00BF]|[\u00E0-\u00E3][\u0080-\u0084\u0086-\u009F\u00A1-\u00BF] |\u00F0 [\u0080-\u00BF][\u0080-\u00BF]|\u00F0[\u0080-\u00BF] [\u0080-\u00BF]|\u00F0[\u0080-\u00BF][\u0080-\u00BF] ", RegexOptions.CultureInvariant)]
    public static partial Regex AlteredUtf8();

    /// <summary>"Ã " (C3 20) that is not a plausible Portuguese/French word boundary.</summary>
    [GeneratedRegex("\u00C3 (?! |quele|quela|quilo|s )", RegexOptions.CultureInvariant)]
    public static partial Regex AGraveWord();

    /// <summary>UTF-8 sequences where a sloppy code page lost a byte (0x1A) or '?' replaced one.</summary>
    [GeneratedRegex(@"[\u00C2-\u00DF]\u001A|[\u00C2\u00C3]\?|\u00ED[\u00A0-\u00AF][\u001A?]\u00ED[\u00B0-\u00BF][\u001A?\u0080-\u00BF]|\u00ED[\u00A0-\u00AF][\u001A?\u0080-\u00BF]\u00ED[\u00B0-\u00BF][\u001A?]|[\u00E0-\u00EF][\u001A?][\u001A\u0080-\u00BF]|[\u00E0-\u00EF][\u001A\u0080-\u00BF][\u001A?]|[\u00F0-\u00F4][\u001A?][\u001A\u0080-\u00BF][\u001A\u0080-\u00BF]|[\u00F0-\u00F4][\u001A\u0080-\u00BF][\u001A?][\u001A\u0080-\u00BF]|[\u00F0-\u00F4][\u001A\u0080-\u00BF][\u001A\u0080-\u00BF][\u001A?]|\u001A", RegexOptions.CultureInvariant)]
    public static partial Regex LossyUtf8();
}
