using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace ClipSharp.Imaging.Png;

/// <summary>
/// Inflates the concatenated IDAT stream, reverses the per-row filters and places each (possibly
/// Adam7-interlaced) row's samples into a frame of the Pillow mode for the header's colour type.
/// </summary>
internal static class PngPixels
{
    // Adam7 passes: x0, y0, dx, dy.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    /// <summary>The Pillow mode a PNG of this colour type and depth opens as.</summary>
    public static PixelMode ModeOf(in PngHeader h) => (h.ColorType, h.BitDepth) switch
    {
        (0, 1) => PixelMode.Bilevel,
        (0, 16) => PixelMode.I32,
        (0, _) => PixelMode.L,
        (2, _) => PixelMode.Rgb,
        (3, _) => PixelMode.P,
        (4, 8) => PixelMode.LA,
        (4, 16) => PixelMode.Rgba, // Pillow: "LA;16B" unpacks to RGBA
        _ => PixelMode.Rgba,
    };

    /// <summary>Bytes of the inflated IDAT stream: every (Adam7 pass) row with its filter byte.</summary>
    public static long FilteredSize(in PngHeader h)
    {
        long total = 0;
        var passes = h.Interlaced ? Adam7 : [(0, 0, 1, 1)];
        foreach (var (x0, y0, dx, dy) in passes)
        {
            long pw = ((long)h.Width - x0 + dx - 1) / dx, ph = ((long)h.Height - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0) continue;
            total += ph * ((pw * h.BitsPerPixel + 7) / 8 + 1);
        }
        return total;
    }

    public static ImageFrame Decode(in PngHeader h, Stream idat, byte[]? palette, bool transparency, CancellationToken cancel = default)
    {
        var mode = ModeOf(h);
        var pixels = new byte[(long)h.Width * h.Height * ImageFrame.BytesPerPixelOf(mode)];
        int filterBpp = Math.Max(1, h.BitsPerPixel / 8);

        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var passes = h.Interlaced ? Adam7 : [(0, 0, 1, 1)];
        int passIndex = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            passIndex++;
            int pw = (h.Width - x0 + dx - 1) / dx, ph = (h.Height - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0) continue; // empty passes carry no filter bytes
            int rowBytes = (int)(((long)pw * h.BitsPerPixel + 7) / 8);
            var prev = new byte[rowBytes];
            var cur = new byte[rowBytes + 1];
            for (int r = 0; r < ph; r++)
            {
                if ((r & 63) == 0) cancel.ThrowIfCancellationRequested();
                ReadExactly(z, cur, h, passIndex, r);
                int filter = cur[0];
                var row = cur.AsSpan(1);
                Unfilter(filter, row, prev, filterBpp, h, passIndex, r);
                Expand(h, mode, row, pw, pixels, y0 + r * dy, x0, dx);
                row.CopyTo(prev);
            }
        }

        return new ImageFrame(h.Width, h.Height, mode, pixels)
        {
            Palette = mode == PixelMode.P ? palette : null,
            HasTransparency = transparency,
        };
    }

    private static void ReadExactly(Stream z, byte[] buffer, in PngHeader h, int pass, int row)
    {
        int got = 0;
        try
        {
            while (got < buffer.Length)
            {
                int n = z.Read(buffer, got, buffer.Length - got);
                if (n == 0) break;
                got += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"PNG: corrupt zlib data in IDAT ({e.Message}) at {Where(h, pass, row)}", e);
        }
        if (got < buffer.Length)
            throw new InvalidDataException(
                $"PNG: image data truncated: the zlib stream ended at {Where(h, pass, row)} of a {h.Width}x{h.Height} image");
    }

    private static string Where(in PngHeader h, int pass, int row) =>
        h.Interlaced ? $"row {row} of Adam7 pass {pass}" : $"row {row}";

    /// <summary>
    /// Reverses PNG filter <paramref name="filter"/> in place: 0 None, 1 Sub (x + a), 2 Up (x + b),
    /// 3 Average (x + floor((a + b) / 2)), 4 Paeth (x + predictor of a, b, c), all mod 256, where a is the
    /// byte <paramref name="bpp"/> to the left, b the byte above and c the byte above-left.
    /// </summary>
    public static void Unfilter(int filter, Span<byte> row, ReadOnlySpan<byte> prev, int bpp, in PngHeader h, int pass, int r)
    {
        int n = row.Length;
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = bpp; i < n; i++) row[i] += row[i - bpp];
                break;
            case 2:
                for (int i = 0; i < n; i++) row[i] += prev[i];
                break;
            case 3:
                for (int i = 0; i < bpp && i < n; i++) row[i] += (byte)(prev[i] >> 1);
                for (int i = bpp; i < n; i++) row[i] += (byte)((row[i - bpp] + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < bpp && i < n; i++) row[i] += prev[i]; // a = c = 0: predictor is b
                for (int i = bpp; i < n; i++) row[i] += Paeth(row[i - bpp], prev[i], prev[i - bpp]);
                break;
            default:
                throw new InvalidDataException($"PNG: unknown filter type {filter} at {Where(h, pass, r)} (expected 0..4)");
        }
    }

    private static byte Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return (byte)a;
        return pb <= pc ? (byte)b : (byte)c;
    }

    /// <summary>
    /// Writes <paramref name="count"/> pixels of an unfiltered row into output row <paramref name="y"/>,
    /// starting at column <paramref name="x0"/> and stepping <paramref name="dx"/> columns.
    /// </summary>
    private static void Expand(in PngHeader h, PixelMode mode, ReadOnlySpan<byte> row, int count, byte[] pixels, int y, int x0, int dx)
    {
        int bppOut = ImageFrame.BytesPerPixelOf(mode);
        var dst = pixels.AsSpan((int)((long)y * h.Width * bppOut));
        int depth = h.BitDepth;

        if (depth == 8)
        {
            int ch = h.Channels;
            if (dx == 1) { row[..(count * ch)].CopyTo(dst); return; }
            for (int i = 0, x = x0; i < count; i++, x += dx)
                row.Slice(i * ch, ch).CopyTo(dst.Slice(x * ch, ch));
            return;
        }

        if (depth == 16)
        {
            for (int i = 0, x = x0; i < count; i++, x += dx)
            {
                switch (h.ColorType)
                {
                    case 0: // "I": the full 16-bit value as int32
                        int value = BinaryPrimitives.ReadUInt16BigEndian(row[(i * 2)..]);
                        MemoryMarshal.Write(dst[(x * 4)..], in value);
                        break;
                    case 2:
                        dst[x * 3] = row[i * 6]; dst[x * 3 + 1] = row[i * 6 + 2]; dst[x * 3 + 2] = row[i * 6 + 4];
                        break;
                    case 4:
                        dst[x * 4] = dst[x * 4 + 1] = dst[x * 4 + 2] = row[i * 4];
                        dst[x * 4 + 3] = row[i * 4 + 2];
                        break;
                    default: // 6
                        dst[x * 4] = row[i * 8]; dst[x * 4 + 1] = row[i * 8 + 2];
                        dst[x * 4 + 2] = row[i * 8 + 4]; dst[x * 4 + 3] = row[i * 8 + 6];
                        break;
                }
            }
            return;
        }

        // 1, 2 or 4 bits per sample: grey or palette, one sample per pixel, MSB first.
        int mask = (1 << depth) - 1;
        int scale = h.ColorType == 3 ? 1 : 255 / mask; // grey: 1-bit → 0/255 ("1"), 2-bit ×85, 4-bit ×17
        for (int i = 0, x = x0; i < count; i++, x += dx)
        {
            int bit = i * depth;
            int v = (row[bit >> 3] >> (8 - depth - (bit & 7))) & mask;
            dst[x] = (byte)(v * scale);
        }
    }
}
