namespace ClipSharp.Text.Cleaning;

/// <summary>
/// ftfy's <c>fix_encoding</c>: while the text looks like mojibake (<see cref="MojibakeHeuristics.IsBad"/>),
/// re-encode it in the first single-byte code page that can hold it and decode the bytes as UTF-8
/// (after putting back NBSP bytes turned into spaces, and marking bytes a sloppy page lost); failing
/// that, repair UTF-8 mojibake embedded in otherwise good text, then Latin-1 read as Windows-1252,
/// then stray C1 controls. One step at a time until nothing changes.
/// </summary>
internal static class MojibakeRepair
{
    /// <summary>Applies <see cref="FixOneStep"/> until the text stops changing.</summary>
    public static string FixEncoding(string text)
    {
        while (true)
        {
            string next = FixOneStep(text);
            if (next == text) return text;
            text = next;
        }
    }

    /// <summary>One repair step (ftfy's <c>_fix_encoding_one_step_and_explain</c>).</summary>
    public static string FixOneStep(string text)
    {
        if (text.Length == 0 || !text.AsSpan().ContainsAnyExceptInRange('\0', '\u007F') || !MojibakeHeuristics.IsBad(text))
            return text;

        bool latin1Possible = false;
        foreach (var page in CodePage.RepairOrder)
        {
            if (!page.CanEncode(text)) continue;
            if (ReferenceEquals(page, CodePage.Latin1)) latin1Possible = true;
            byte[] bytes = page.Encode(text);
            if (!ReferenceEquals(page, CodePage.MacRoman) && MojibakeHeuristics.AlteredUtf8().IsMatch(AsChars(bytes)))
                bytes = RestoreByteA0(bytes);
            if (page.IsSloppy)
                bytes = FromChars(MojibakeHeuristics.LossyUtf8().Replace(AsChars(bytes), "\u00EF\u00BF\u00BD"));
            bool variants = bytes.AsSpan().IndexOfAny((byte)0xED, (byte)0xC0) >= 0;
            if (variants ? Utf8Decoding.TryDecodeVariants(bytes, out var fixedText) : Utf8Decoding.TryDecode(bytes, out fixedText))
                return fixedText;
        }

        var detector = MojibakeHeuristics.Utf8Detector();
        if (detector.IsMatch(text))
        {
            string fixedText = detector.Replace(text, m =>
                m.Length < text.Length && MojibakeHeuristics.IsBad(m.Value) ? FixEncoding(m.Value) : m.Value);
            if (fixedText != text) return fixedText;
        }

        if (latin1Possible && TryLatin1AsWindows1252(text, out var w1252) && w1252 != text)
            return w1252;

        return text.AsSpan().IndexOfAnyInRange('\u0080', '\u009F') >= 0 ? CharacterFixes.FixC1Controls(text) : text;
    }

    /// <summary>ftfy's <c>restore_byte_a0</c>: "C3 20" not starting a plausible word becomes "C3 A0 20",
    /// then every space inside an <see cref="MojibakeHeuristics.AlteredUtf8"/> match becomes A0.</summary>
    private static byte[] RestoreByteA0(byte[] bytes)
    {
        string s = MojibakeHeuristics.AGraveWord().Replace(AsChars(bytes), "\u00C3\u00A0 ");
        s = MojibakeHeuristics.AlteredUtf8().Replace(s, m => m.Value.Replace(' ', '\u00A0'));
        return FromChars(s);
    }

    /// <summary>Latin-1 bytes decoded as strict Windows-1252 (which rejects 81, 8D, 8F, 90, 9D).</summary>
    private static bool TryLatin1AsWindows1252(string text, out string result)
    {
        var chars = text.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (c is < '\u0080' or > '\u009F') continue;
            char mapped = CodePageTables.SloppyWindows1252[c];
            if (mapped == c) { result = text; return false; }
            chars[i] = mapped;
        }
        result = new string(chars);
        return true;
    }

    private static string AsChars(byte[] bytes) => string.Create(bytes.Length, bytes, static (span, b) =>
    {
        for (int i = 0; i < b.Length; i++) span[i] = (char)b[i];
    });

    private static byte[] FromChars(string s)
    {
        var bytes = new byte[s.Length];
        for (int i = 0; i < s.Length; i++) bytes[i] = (byte)s[i];
        return bytes;
    }
}
