namespace ClipSharp.Text.Unicode;

/// <summary>Bit flags describing how Python and its <c>regex</c> module see one code point.</summary>
[Flags]
internal enum CodePointClass : byte
{
    None = 0,
    /// <summary>Matched by <c>[\p{L}]</c> (regex module, IGNORECASE).</summary>
    Letter = 1,
    /// <summary>Matched by <c>[\p{N}]</c> (regex module, IGNORECASE).</summary>
    Number = 2,
    /// <summary>Matched by <c>[^\s\p{L}\p{N}]</c> (regex module, IGNORECASE).</summary>
    Other = 4,
    /// <summary>Matched by the regex module's <c>\s</c>.</summary>
    RegexSpace = 8,
    /// <summary>Python <c>str.isspace()</c>.</summary>
    PythonSpace = 16,
    /// <summary>Case-ignorable for Python's final-sigma rule.</summary>
    CaseIgnorable = 32,
    /// <summary>Cased and not case-ignorable for Python's final-sigma rule.</summary>
    Cased = 64,
}

/// <summary>
/// A two-level lookup (pages of 256 code points, identical pages shared) from code point to
/// <see cref="CodePointClass"/>, built once from <see cref="PythonCharData"/>.
/// </summary>
internal static class CodePointClasses
{
    private const int PageBits = 8;
    private const int PageSize = 1 << PageBits;
    private const int CodePointCount = 0x110000;

    private static readonly ushort[] PageIndex;
    private static readonly byte[] Pages;

    static CodePointClasses()
    {
        var flat = new byte[CodePointCount];
        Fill(flat, PythonCharData.RegexLetter, CodePointClass.Letter);
        Fill(flat, PythonCharData.RegexNumber, CodePointClass.Number);
        Fill(flat, PythonCharData.RegexOther, CodePointClass.Other);
        Fill(flat, PythonCharData.RegexSpace, CodePointClass.RegexSpace);
        Fill(flat, PythonCharData.PythonSpace, CodePointClass.PythonSpace);
        Fill(flat, PythonCharData.CaseIgnorable, CodePointClass.CaseIgnorable);
        Fill(flat, PythonCharData.CasedNotIgnorable, CodePointClass.Cased);

        PageIndex = new ushort[CodePointCount / PageSize];
        var unique = new Dictionary<string, ushort>();
        var pages = new List<byte>();
        for (int p = 0; p < PageIndex.Length; p++)
        {
            var page = flat.AsSpan(p * PageSize, PageSize);
            string key = Convert.ToBase64String(page);
            if (!unique.TryGetValue(key, out ushort index))
            {
                index = (ushort)unique.Count;
                unique.Add(key, index);
                pages.AddRange(page.ToArray());
            }
            PageIndex[p] = index;
        }
        Pages = pages.ToArray();
    }

    private static void Fill(byte[] flat, ReadOnlySpan<int> ranges, CodePointClass flag)
    {
        for (int i = 0; i < ranges.Length; i += 2)
            for (int cp = ranges[i]; cp <= ranges[i + 1]; cp++)
                flat[cp] |= (byte)flag;
    }

    /// <summary>The flags of code point <paramref name="cp"/> (0 ≤ cp &lt; 0x110000).</summary>
    public static CodePointClass Of(int cp) =>
        (CodePointClass)Pages[(PageIndex[cp >> PageBits] << PageBits) | (cp & (PageSize - 1))];

    /// <summary>True when <paramref name="cp"/> has any of the bits in <paramref name="flags"/>.</summary>
    public static bool Is(int cp, CodePointClass flags) => (Of(cp) & flags) != 0;
}
