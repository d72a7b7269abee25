using System.Collections.Frozen;

namespace ClipSharp.Text.Cleaning;

/// <summary>
/// One single-byte code page as ftfy uses it: which strings it can encode (every character must be
/// ASCII other than U+001A, or one of the characters its bytes 0x80..0xFF and 0x1A decode to) and the
/// encoding itself.
/// </summary>
internal sealed class CodePage
{
    private readonly FrozenDictionary<char, byte> _encode;

    public string Name { get; }

    /// <summary>The 256 characters bytes 0x00..0xFF decode to.</summary>
    public string Table { get; }

    /// <summary>True for the "sloppy" Windows pages (byte 0x1A ↔ U+FFFD, undefined bytes as Latin-1).</summary>
    public bool IsSloppy { get; }

    private CodePage(string name, string table, bool sloppy)
    {
        Name = name;
        Table = table;
        IsSloppy = sloppy;
        var map = new Dictionary<char, byte>();
        for (int b = 0x80; b < 0x100; b++) map[table[b]] = (byte)b;
        map[table[0x1A]] = 0x1A;
        _encode = map.ToFrozenDictionary();
    }

    public static readonly CodePage Latin1 = new("latin-1", CodePageTables.Latin1, false);
    public static readonly CodePage MacRoman = new("macroman", CodePageTables.MacRoman, false);

    /// <summary>The pages mojibake repair tries, in ftfy's order.</summary>
    public static readonly CodePage[] RepairOrder =
    [
        Latin1,
        new("sloppy-windows-1252", CodePageTables.SloppyWindows1252, true),
        new("sloppy-windows-1251", CodePageTables.SloppyWindows1251, true),
        new("sloppy-windows-1250", CodePageTables.SloppyWindows1250, true),
        new("sloppy-windows-1253", CodePageTables.SloppyWindows1253, true),
        new("sloppy-windows-1254", CodePageTables.SloppyWindows1254, true),
        new("sloppy-windows-1257", CodePageTables.SloppyWindows1257, true),
        new("iso-8859-2", CodePageTables.Iso8859_2, false),
        MacRoman,
        new("cp437", CodePageTables.Cp437, false),
    ];

    /// <summary>True when every character of <paramref name="s"/> has a byte in this page.</summary>
    public bool CanEncode(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
            if (!(c < 0x80 && c != 0x1A) && !_encode.ContainsKey(c))
                return false;
        return true;
    }

    /// <summary>Encodes <paramref name="s"/>; call only when <see cref="CanEncode"/> holds.</summary>
    public byte[] Encode(ReadOnlySpan<char> s)
    {
        var bytes = new byte[s.Length];
        for (int i = 0; i < s.Length; i++)
            bytes[i] = s[i] < 0x80 && s[i] != 0x1A ? (byte)s[i] : _encode[s[i]];
        return bytes;
    }
}
