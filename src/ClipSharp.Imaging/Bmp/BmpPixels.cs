using System.Buffers.Binary;
using System.Numerics;

namespace ClipSharp.Imaging.Bmp;

/// <summary>Uncompressed BMP pixel rows: palette indices and 16/24/32-bit direct colour.</summary>
internal static class BmpPixels
{
    /// <summary>Bytes per stored row: rows are padded to a multiple of 4 bytes.</summary>
    public static long Stride(int width, int bits) => (((long)width * bits + 31) >> 3) & ~3L;

    /// <summary>Checks that the rows fit in the file (the last row may lack its padding).</summary>
    private static void CheckSize(ReadOnlySpan<byte> data, BmpInfo info, long stride)
    {
        long rowBytes = ((long)info.Width * info.Bits + 7) >> 3;
        long need = (long)info.DataOffset + stride * (info.Height - 1) + rowBytes;
        if (need > data.Length)
            throw new InvalidDataException(
                $"BMP: pixel data truncated: {info.Width}x{info.Height} at {info.Bits} bits needs {need} bytes from offset {info.DataOffset}, file has {data.Length}");
    }

    /// <summary>Offset of output row <paramref name="y"/>'s stored row, honouring bottom-up order.</summary>
    private static int RowOffset(BmpInfo info, long stride, int y) =>
        (int)(info.DataOffset + stride * (info.TopDown ? y : info.Height - 1 - y));

    /// <summary>1/4/8-bit rows → one index byte per pixel (MSB-first for 1 and 4 bits).</summary>
    public static byte[] DecodeIndices(ReadOnlySpan<byte> data, BmpInfo info)
    {
        long stride = Stride(info.Width, info.Bits);
        CheckSize(data, info, stride);
        int w = info.Width, bits = info.Bits, mask = (1 << bits) - 1;
        var output = new byte[(long)w * info.Height];
        for (int y = 0; y < info.Height; y++)
        {
            var row = data[RowOffset(info, stride, y)..];
            var dst = output.AsSpan(y * w, w);
            if (bits == 8) { row[..w].CopyTo(dst); continue; }
            for (int x = 0; x < w; x++)
            {
                int bit = x * bits;
                dst[x] = (byte)((row[bit >> 3] >> (8 - bits - (bit & 7))) & mask);
            }
        }
        return output;
    }

    /// <summary>16/24/32-bit rows → "RGB", or "RGBA" for 32-bit bitfields that carry alpha.</summary>
    public static ImageFrame DecodeDirect(ReadOnlySpan<byte> data, BmpInfo info)
    {
        long stride = Stride(info.Width, info.Bits);
        CheckSize(data, info, stride);
        int w = info.Width, h = info.Height;
        uint r = info.RedMask, g = info.GreenMask, b = info.BlueMask, a = info.AlphaMask;

        if (!info.HasMasks)
        {
            if (info.Bits == 16) (r, g, b, a) = (0x7C00, 0x3E0, 0x1F, 0);
            else (r, g, b, a) = (0xFF0000, 0xFF00, 0xFF, 0); // 24-bit BGR, 32-bit BGRX
        }
        else if (info.Bits == 32 && r == 0 && g == 0 && b == 0 && a == 0)
            (r, g, b, a) = (0xFF0000, 0xFF00, 0xFF, 0xFF000000); // Pillow reads all-zero masks as BGRA
        if (info.Bits != 32) a = 0; // Pillow only honours alpha for 32-bit pixels

        bool alpha = a != 0;
        int channels = alpha ? 4 : 3;
        var output = new byte[(long)w * h * channels];
        var fr = new MaskField(r); var fg = new MaskField(g); var fb = new MaskField(b); var fa = new MaskField(a);
        int bytesPer = info.Bits / 8;
        for (int y = 0; y < h; y++)
        {
            var row = data[RowOffset(info, stride, y)..];
            var dst = output.AsSpan(y * w * channels, w * channels);
            if (info.Bits == 24 && r == 0xFF0000 && g == 0xFF00 && b == 0xFF)
            {
                for (int x = 0; x < w; x++)
                {
                    dst[x * 3] = row[x * 3 + 2];
                    dst[x * 3 + 1] = row[x * 3 + 1];
                    dst[x * 3 + 2] = row[x * 3];
                }
                continue;
            }
            for (int x = 0; x < w; x++)
            {
                uint px = bytesPer switch
                {
                    2 => BinaryPrimitives.ReadUInt16LittleEndian(row[(x * 2)..]),
                    3 => (uint)(row[x * 3] | row[x * 3 + 1] << 8 | row[x * 3 + 2] << 16),
                    _ => BinaryPrimitives.ReadUInt32LittleEndian(row[(x * 4)..]),
                };
                dst[x * channels] = fr.Extract(px);
                dst[x * channels + 1] = fg.Extract(px);
                dst[x * channels + 2] = fb.Extract(px);
                if (alpha) dst[x * channels + 3] = fa.Extract(px);
            }
        }
        return new ImageFrame(w, h, alpha ? PixelMode.Rgba : PixelMode.Rgb, output);
    }

    /// <summary>
    /// One colour mask: value = ((pixel &amp; mask) >> shift), scaled to 8 bits as floor(value × 255 / max)
    /// (Pillow's formula for 5- and 6-bit fields; identity for 8-bit fields; the top 8 bits for wider ones).
    /// </summary>
    private readonly struct MaskField
    {
        private readonly uint _mask;
        private readonly int _shift, _bits;

        public MaskField(uint mask)
        {
            _mask = mask;
            _shift = mask == 0 ? 0 : BitOperations.TrailingZeroCount(mask);
            _bits = mask == 0 ? 0 : 32 - BitOperations.LeadingZeroCount(mask >> _shift);
        }

        public byte Extract(uint px)
        {
            if (_bits == 0) return 0;
            uint v = (px & _mask) >> _shift;
            if (_bits == 8) return (byte)v;
            if (_bits > 8) return (byte)(v >> (_bits - 8));
            return (byte)(v * 255 / ((1u << _bits) - 1));
        }
    }
}
