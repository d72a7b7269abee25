using System.Buffers.Binary;

namespace ClipSharp.Imaging.Bmp;

/// <summary>The parts of a BMP header the pixel decoder needs.</summary>
internal sealed record BmpInfo(int Width, int Height, bool TopDown, int Bits, int Compression, int DataOffset,
    uint RedMask, uint GreenMask, uint BlueMask, uint AlphaMask, bool HasMasks);

/// <summary>
/// Decodes Windows/OS2 bitmaps (1/4/8-bit palette, 16/24/32-bit, bottom-up and top-down, BI_BITFIELDS,
/// RLE8/RLE4) into the <see cref="ImageFrame"/> Pillow 9.4 opens: 24-bit and plain 32-bit as "RGB" (the
/// fourth byte ignored), 32-bit bitfields with an alpha mask as "RGBA", palette images as "P" unless the
/// palette is black/white (2 colours → "1") or the grey ramp i → (i, i, i) ("L").
/// </summary>
public static class BmpDecoder
{
    private const int Rle8 = 1, Rle4 = 2, Bitfields = 3, AlphaBitfields = 6;

    /// <summary>True when <paramref name="data"/> starts with "BM".</summary>
    public static bool IsBmp(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M';

    /// <exception cref="InvalidDataException">Not a BMP, an unsupported variant, or truncated/corrupt data.</exception>
    public static ImageFrame Decode(ReadOnlySpan<byte> data, ImageDecodeLimits? limits = null)
    {
        limits ??= ImageDecodeLimits.Default;
        if (!IsBmp(data)) throw new InvalidDataException("BMP: missing the 'BM' signature at offset 0");
        if (data.Length < 18) throw new InvalidDataException($"BMP: file is {data.Length} bytes, too short for the file and info headers");
        int offset = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(data[10..]), int.MaxValue);
        int headerSize = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(data[14..]), int.MaxValue);
        if (headerSize is not (12 or 40 or 52 or 56 or 64 or 108 or 124))
            throw new InvalidDataException($"BMP: unsupported info header size {headerSize} at offset 14 (expected 12, 40, 52, 56, 64, 108 or 124)");
        if (data.Length < 14 + headerSize)
            throw new InvalidDataException($"BMP: info header of {headerSize} bytes at offset 14 is truncated");
        var hd = data.Slice(18, headerSize - 4);
        int paletteStart = 14 + headerSize;

        BmpInfo info;
        int paletteEntrySize, colors;
        if (headerSize == 12)
        {
            int w = BinaryPrimitives.ReadUInt16LittleEndian(hd), h = BinaryPrimitives.ReadUInt16LittleEndian(hd[2..]);
            int bits = BinaryPrimitives.ReadUInt16LittleEndian(hd[6..]);
            info = new BmpInfo(w, h, false, bits, 0, offset, 0, 0, 0, 0, false);
            paletteEntrySize = 3;
            colors = bits <= 8 ? 1 << bits : 0;
        }
        else
        {
            uint w = BinaryPrimitives.ReadUInt32LittleEndian(hd);
            uint hRaw = BinaryPrimitives.ReadUInt32LittleEndian(hd[4..]);
            bool topDown = hd[7] == 0xFF; // Pillow's test: a negative height
            long h = topDown ? (1L << 32) - hRaw : hRaw;
            int bits = BinaryPrimitives.ReadUInt16LittleEndian(hd[10..]);
            int compression = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(hd[12..]), int.MaxValue);
            uint clrUsed = BinaryPrimitives.ReadUInt32LittleEndian(hd[28..]);
            if (w > int.MaxValue || h > int.MaxValue) throw new InvalidDataException($"BMP: image size {w}x{h} is invalid");
            ImageLimits.CheckPositive("BMP", w, h);
            uint r = 0, g = 0, b = 0, a = 0;
            bool masks = compression is Bitfields or AlphaBitfields;
            if (masks)
            {
                ReadOnlySpan<byte> m;
                if (hd.Length >= 52) m = hd.Slice(36, 16);
                else
                {
                    // 40-byte header: three masks follow it; they are not part of the palette.
                    if (data.Length < paletteStart + 12) throw new InvalidDataException($"BMP: bitfield masks at offset {paletteStart} are truncated");
                    m = data.Slice(paletteStart, 12);
                    paletteStart += compression == AlphaBitfields && data.Length >= paletteStart + 16 ? 16 : 12;
                }
                r = BinaryPrimitives.ReadUInt32LittleEndian(m);
                g = BinaryPrimitives.ReadUInt32LittleEndian(m[4..]);
                b = BinaryPrimitives.ReadUInt32LittleEndian(m[8..]);
                a = m.Length >= 16 ? BinaryPrimitives.ReadUInt32LittleEndian(m[12..]) : 0;
            }
            info = new BmpInfo((int)w, (int)h, topDown, bits, compression, offset, r, g, b, a, masks);
            paletteEntrySize = 4;
            colors = clrUsed != 0 ? (int)Math.Min(clrUsed, 65536u) : bits <= 16 ? 1 << bits : 0;
        }
        ImageLimits.CheckPositive("BMP", info.Width, info.Height);
        if (info.Bits is not (1 or 4 or 8 or 16 or 24 or 32))
            throw new InvalidDataException($"BMP: unsupported pixel depth {info.Bits} bits");
        int channels = info.Bits <= 8 ? 1 : info.Bits == 32 ? 4 : 3;
        limits.Check("BMP", info.Width, info.Height, ImageDecodeLimits.FrameBytes(info.Width, info.Height, channels), data.Length, "info header");

        // Pillow's fix-up for files whose data offset forgets the palette.
        if (offset == 14 + headerSize && info.Bits <= 8) info = info with { DataOffset = offset + 4 * colors };
        if (info.DataOffset < 0 || info.DataOffset > data.Length)
            throw new InvalidDataException($"BMP: pixel data offset {info.DataOffset} is outside the {data.Length}-byte file");

        if (info.Bits <= 8)
            return DecodeIndexed(data, info, paletteStart, paletteEntrySize, colors);
        if (info.Compression is not (0 or Bitfields or AlphaBitfields))
            throw new InvalidDataException($"BMP: unsupported compression {info.Compression} for {info.Bits}-bit pixels");
        return BmpPixels.DecodeDirect(data, info);
    }

    private static ImageFrame DecodeIndexed(ReadOnlySpan<byte> data, BmpInfo info, int paletteStart, int entrySize, int colors)
    {
        if (info.Compression is not (0 or Rle8 or Rle4))
            throw new InvalidDataException($"BMP: unsupported compression {info.Compression} for a {info.Bits}-bit palette image");
        if (info.Compression == Rle8 && info.Bits != 8 || info.Compression == Rle4 && info.Bits != 4)
            throw new InvalidDataException($"BMP: RLE{(info.Compression == Rle8 ? 8 : 4)} compression with {info.Bits}-bit pixels");
        if (colors <= 0) throw new InvalidDataException($"BMP: palette size {colors} is invalid");

        int available = Math.Max(0, Math.Min(colors, (data.Length - paletteStart) / entrySize));
        int entries = Math.Min(available, 256);
        var rgba = PaletteBuilder.GreyRamp();
        for (int i = 0; i < entries; i++)
        {
            int p = paletteStart + i * entrySize;
            rgba[i * 4] = data[p + 2];
            rgba[i * 4 + 1] = data[p + 1];
            rgba[i * 4 + 2] = data[p];
        }

        // Pillow drops a palette that is black/white (2 colours) or the grey ramp i → (i, i, i).
        bool grey = available == Math.Min(colors, 256);
        for (int i = 0; i < Math.Min(colors, 256) && grey; i++)
        {
            int v = colors == 2 ? i * 255 : i;
            if (i >= 2 && colors == 2) break;
            grey = rgba[i * 4] == v && rgba[i * 4 + 1] == v && rgba[i * 4 + 2] == v;
        }

        var indices = info.Compression == 0 ? BmpPixels.DecodeIndices(data, info) : BmpRle.Decode(data, info);
        if (!grey)
            return new ImageFrame(info.Width, info.Height, PixelMode.P, indices) { Palette = rgba };
        if (colors == 2)
        {
            for (int i = 0; i < indices.Length; i++) indices[i] = indices[i] != 0 ? (byte)255 : (byte)0;
            return new ImageFrame(info.Width, info.Height, PixelMode.Bilevel, indices);
        }
        return new ImageFrame(info.Width, info.Height, PixelMode.L, indices);
    }
}
