using System.Buffers.Binary;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Reads a JPEG's frame size from its SOFn marker without decoding, and picks the DCT scaling that
/// Pillow's draft mode would use for a requested size.
/// </summary>
public static class JpegSize
{
    /// <summary>(width, height) from the first SOF marker, or null when none is found before the scan.</summary>
    public static (int Width, int Height)? Read(ReadOnlySpan<byte> data)
    {
        int at = 2;
        while (at + 4 <= data.Length)
        {
            if (data[at] != 0xFF) return null;
            byte marker = data[at + 1];
            if (marker == 0xFF) { at++; continue; }
            if (marker is 0xD8 or (>= 0xD0 and <= 0xD7) or 0x01) { at += 2; continue; }
            if (marker is 0xDA or 0xD9) return null;
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(at + 2)..]);
            bool sof = marker is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC);
            if (sof && at + 9 <= data.Length)
                return (BinaryPrimitives.ReadUInt16BigEndian(data[(at + 7)..]), BinaryPrimitives.ReadUInt16BigEndian(data[(at + 5)..]));
            at += 2 + length;
        }
        return null;
    }

    /// <summary>
    /// The largest denominator in {8, 4, 2, 1} that keeps both sides at least as large as the
    /// request (Pillow's draft: scale = min(w / reqW, h / reqH), rounded down to a power of two ≤ 8).
    /// </summary>
    public static int DraftDenominator(int width, int height, int requestWidth, int requestHeight)
    {
        int scale = Math.Min(width / Math.Max(1, requestWidth), height / Math.Max(1, requestHeight));
        foreach (int d in new[] { 8, 4, 2 }) if (scale >= d) return d;
        return 1;
    }
}
