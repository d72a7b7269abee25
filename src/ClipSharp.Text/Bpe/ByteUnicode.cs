namespace ClipSharp.Text.Bpe;

/// <summary>
/// GPT-2/CLIP's reversible byte → character map: bytes that are printable Latin-1 ('!'..'~',
/// '¡'..'¬', '®'..'ÿ') map to themselves; the other 68 bytes map, in increasing order, to
/// U+0100, U+0101, …. <see cref="Order"/> lists bytes in the order the base vocabulary lists them.
/// </summary>
public static class ByteUnicode
{
    /// <summary>Byte → its character.</summary>
    public static readonly char[] ByteToChar = new char[256];

    /// <summary>The 256 bytes in vocabulary order (the printable ones first, then the rest).</summary>
    public static readonly byte[] Order = new byte[256];

    private static readonly Dictionary<char, byte> CharToByte = new();

    static ByteUnicode()
    {
        int n = 0, extra = 0;
        for (int b = 0; b < 256; b++)
            if (IsPrintable(b)) { ByteToChar[b] = (char)b; Order[n++] = (byte)b; }
        for (int b = 0; b < 256; b++)
            if (!IsPrintable(b)) { ByteToChar[b] = (char)(256 + extra++); Order[n++] = (byte)b; }
        for (int b = 0; b < 256; b++) CharToByte[ByteToChar[b]] = (byte)b;
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    /// <summary>The byte a mapped character stands for; false for characters outside the map.</summary>
    public static bool TryGetByte(char c, out byte b) => CharToByte.TryGetValue(c, out b);
}
