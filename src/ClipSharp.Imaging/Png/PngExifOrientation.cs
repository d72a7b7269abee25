using System.Buffers.Binary;

namespace ClipSharp.Imaging.Png;

/// <summary>
/// Reads the orientation tag (0x0112) from the TIFF structure of a PNG eXIf chunk. Only IFD0 is
/// visited; anything malformed yields orientation 1 (the chunk is ancillary, so it never fails a decode).
/// </summary>
internal static class PngExifOrientation
{
    /// <summary>The orientation 1..8 stored in <paramref name="tiff"/>, or 1 when absent or unreadable.</summary>
    public static int Read(ReadOnlySpan<byte> tiff)
    {
        // Some writers keep the JPEG APP1 prefix "Exif\0\0"; skip it when present.
        if (tiff.Length >= 6 && tiff[..6].SequenceEqual("Exif\0\0"u8)) tiff = tiff[6..];
        if (tiff.Length < 8) return 1;
        bool little;
        if (tiff[0] == (byte)'I' && tiff[1] == (byte)'I') little = true;
        else if (tiff[0] == (byte)'M' && tiff[1] == (byte)'M') little = false;
        else return 1;
        if (U16(tiff, 2, little) != 42) return 1;
        uint ifd = U32(tiff, 4, little);
        if (ifd > (uint)tiff.Length - 2) return 1;
        int count = U16(tiff, (int)ifd, little);
        int entry = (int)ifd + 2;
        for (int i = 0; i < count; i++, entry += 12)
        {
            if (entry + 12 > tiff.Length) return 1;
            if (U16(tiff, entry, little) != 0x0112) continue;
            int type = U16(tiff, entry + 2, little);
            int value = type switch
            {
                3 => U16(tiff, entry + 8, little),          // SHORT
                4 => (int)Math.Min(U32(tiff, entry + 8, little), 100u), // LONG (non-standard)
                _ => 1,
            };
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    private static int U16(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt16BigEndian(s[at..]);

    private static uint U32(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s[at..]) : BinaryPrimitives.ReadUInt32BigEndian(s[at..]);
}
