using System.Text;

namespace ClipSharp.Text.Cleaning;

/// <summary>
/// Strict UTF-8 decoding as Python's "utf-8" codec does it, and ftfy's "utf-8-variants", which also
/// accepts CESU-8 surrogate pairs (ED A0-AF 80-BF ED B0-BF 80-BF → one supplementary code point) and
/// Java's C0 80 for U+0000. Both fail (return false) on anything else that is not well-formed.
/// </summary>
internal static class Utf8Decoding
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes well-formed UTF-8; false when the bytes are not.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string text)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            text = Strict.GetString(bytes);
            return true;
        }
        text = "";
        return false;
    }

    /// <summary>Decodes with ftfy's utf-8-variants rules; false on malformed input.</summary>
    public static bool TryDecodeVariants(ReadOnlySpan<byte> bytes, out string text)
    {
        var sb = new StringBuilder(bytes.Length);
        int start = 0, i = 0;
        while (i < bytes.Length)
        {
            byte b = bytes[i];
            int special = 0;
            if (b == 0xC0 && i + 1 < bytes.Length && bytes[i + 1] == 0x80) special = 2;
            else if (b == 0xED && IsCesuPair(bytes, i)) special = 6;
            if (special == 0) { i++; continue; }
            if (!TryDecode(bytes[start..i], out var plain)) { text = ""; return false; }
            sb.Append(plain);
            if (special == 2) sb.Append('\0');
            else
            {
                int cp = 0x10000 + ((bytes[i + 1] & 0x0F) << 16) + ((bytes[i + 2] & 0x3F) << 10)
                         + ((bytes[i + 4] & 0x0F) << 6) + (bytes[i + 5] & 0x3F);
                sb.Append(char.ConvertFromUtf32(cp));
            }
            i += special;
            start = i;
        }
        if (!TryDecode(bytes[start..], out var rest)) { text = ""; return false; }
        sb.Append(rest);
        text = sb.ToString();
        return true;
    }

    private static bool IsCesuPair(ReadOnlySpan<byte> b, int i) =>
        i + 5 < b.Length
        && b[i + 1] is >= 0xA0 and <= 0xAF && b[i + 2] is >= 0x80 and <= 0xBF
        && b[i + 3] == 0xED && b[i + 4] is >= 0xB0 and <= 0xBF && b[i + 5] is >= 0x80 and <= 0xBF;
}
