using System.Buffers.Binary;

namespace ClipSharp.Imaging;

/// <summary>
/// Reads the orientation tag (0x0112) from the first image file directory of an Exif TIFF payload: the
/// bytes of a JPEG APP1 segment after "Exif\0\0", or a PNG eXIf chunk. Both TIFF byte orders ("II" and
/// "MM") are handled. Malformed data never throws: every offset is bounds-checked and anything that does
/// not parse reads as "no orientation".
/// </summary>
public static class Exif
{
    /// <summary>The orientation tag number.</summary>
    public const int OrientationTag = 0x0112;

    /// <summary>
    /// Finds the orientation in <paramref name="tiff"/> (a leading "Exif\0\0" is skipped if present).
    /// Returns true with a value in 1..8 when IFD0 holds the tag as a SHORT or LONG; false otherwise.
    /// </summary>
    public static bool TryReadOrientation(ReadOnlySpan<byte> tiff, out int orientation)
    {
        orientation = 1;
        if (tiff.StartsWith("Exif\0\0"u8)) tiff = tiff[6..];
        if (tiff.Length < 8) return false;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return false;
        if (U16(tiff, 2, little) != 42) return false;
        long ifd = U32(tiff, 4, little);
        if (ifd < 8 || ifd > tiff.Length - 2) return false;
        int count = U16(tiff, (int)ifd, little);
        long entries = ifd + 2;
        for (int i = 0; i < count; i++)
        {
            long e = entries + 12L * i;
            if (e + 12 > tiff.Length) return false;
            int at = (int)e;
            if (U16(tiff, at, little) != OrientationTag) continue;
            int type = U16(tiff, at + 2, little);
            long n = U32(tiff, at + 4, little);
            if (n < 1) return false;
            long value = type switch
            {
                3 => U16(tiff, at + 8, little),
                4 => U32(tiff, at + 8, little),
                _ => -1,
            };
            if (value is < 1 or > 8) return false;
            orientation = (int)value;
            return true;
        }
        return false;
    }

    /// <summary>The orientation (1..8) in <paramref name="tiff"/>, or 1 when absent or unreadable.</summary>
    public static int ReadOrientation(ReadOnlySpan<byte> tiff) =>
        TryReadOrientation(tiff, out int o) ? o : 1;

    private static int U16(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(at, 2)) : BinaryPrimitives.ReadUInt16BigEndian(b.Slice(at, 2));

    private static long U32(ReadOnlySpan<byte> b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at, 4)) : BinaryPrimitives.ReadUInt32BigEndian(b.Slice(at, 4));
}
