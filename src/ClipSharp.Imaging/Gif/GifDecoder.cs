using System.Buffers.Binary;

namespace ClipSharp.Imaging.Gif;

/// <summary>
/// Decodes the first frame of a GIF (87a/89a) as Pillow 9.4 opens it: mode "P" with the local palette,
/// else the global one, or mode "L" when there is no palette or the palette is the identity grey ramp
/// (Pillow drops such palettes). The canvas is the logical screen (grown to hold the frame if it sticks
/// out), filled with the transparency index when the frame has one and with 0 otherwise; the frame's
/// pixels (de-interlaced) are written at its offset.
/// </summary>
public static class GifDecoder
{
    /// <summary>True when <paramref name="data"/> starts with "GIF87a" or "GIF89a".</summary>
    public static bool IsGif(ReadOnlySpan<byte> data) =>
        data.Length >= 6 && (data[..6].SequenceEqual("GIF87a"u8) || data[..6].SequenceEqual("GIF89a"u8));

    /// <exception cref="InvalidDataException">Not a GIF, no image in it, truncated or corrupt LZW data.</exception>
    public static ImageFrame Decode(ReadOnlySpan<byte> data, ImageDecodeLimits? limits = null)
    {
        limits ??= ImageDecodeLimits.Default;
        if (!IsGif(data)) throw new InvalidDataException("GIF: missing the GIF87a/GIF89a signature at offset 0");
        if (data.Length < 13) throw new InvalidDataException($"GIF: file is {data.Length} bytes, shorter than the 13-byte header");

        int width = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]);
        int flags = data[10];
        int pos = 13;
        ReadOnlySpan<byte> globalPalette = default;
        bool hasGlobal = false;
        if ((flags & 0x80) != 0)
        {
            int size = 3 << ((flags & 7) + 1);
            if (data.Length - pos < size)
                throw new InvalidDataException($"GIF: global palette of {size} bytes at offset {pos} is truncated");
            globalPalette = data.Slice(pos, size);
            hasGlobal = IsPaletteNeeded(globalPalette);
            pos += size;
        }

        int transparency = -1;
        while (true)
        {
            if (pos >= data.Length)
                throw new InvalidDataException($"GIF: no image found before the end of the file (offset {pos})");
            byte b = data[pos++];
            if (b == 0x3B)
                throw new InvalidDataException($"GIF: trailer at offset {pos - 1} before any image");
            if (b == 0x21)
            {
                if (pos >= data.Length) throw new InvalidDataException($"GIF: truncated extension at offset {pos - 1}");
                int label = data[pos++];
                bool firstBlock = true;
                while (true)
                {
                    if (pos >= data.Length) throw new InvalidDataException($"GIF: truncated extension block at offset {pos}");
                    int len = data[pos++];
                    if (len == 0) break;
                    if (data.Length - pos < len) throw new InvalidDataException($"GIF: extension block at offset {pos - 1} is truncated");
                    if (label == 0xF9 && firstBlock && len >= 4 && (data[pos] & 1) != 0)
                        transparency = data[pos + 3]; // as Pillow: a later GCE without the flag keeps it
                    firstBlock = false;
                    pos += len;
                }
                continue;
            }
            if (b != 0x2C) continue; // Pillow skips stray bytes between blocks

            return DecodeImage(data, pos, width, height, globalPalette, hasGlobal, transparency, limits);
        }
    }

    private static ImageFrame DecodeImage(ReadOnlySpan<byte> data, int pos, int width, int height,
        ReadOnlySpan<byte> globalPalette, bool hasGlobal, int transparency, ImageDecodeLimits limits)
    {
        int descriptor = pos - 1;
        if (data.Length - pos < 9) throw new InvalidDataException($"GIF: image descriptor at offset {descriptor} is truncated");
        int x0 = BinaryPrimitives.ReadUInt16LittleEndian(data[pos..]);
        int y0 = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 2)..]);
        int fw = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 4)..]);
        int fh = BinaryPrimitives.ReadUInt16LittleEndian(data[(pos + 6)..]);
        int flags = data[pos + 8];
        pos += 9;
        bool interlaced = (flags & 0x40) != 0;

        ReadOnlySpan<byte> palette = hasGlobal ? globalPalette : default;
        bool usePalette = hasGlobal;
        if ((flags & 0x80) != 0)
        {
            int size = 3 << ((flags & 7) + 1);
            if (data.Length - pos < size)
                throw new InvalidDataException($"GIF: local palette of {size} bytes at offset {pos} is truncated");
            var local = data.Slice(pos, size);
            usePalette = IsPaletteNeeded(local);
            palette = usePalette ? local : default;
            pos += size;
        }

        // Pillow grows the image when the first frame sticks out of the logical screen.
        width = Math.Max(width, x0 + fw);
        height = Math.Max(height, y0 + fh);
        limits.Check("GIF", width, height, ImageDecodeLimits.FrameBytes(width, height, 1), data.Length, $"image descriptor at offset {descriptor}");

        if (pos >= data.Length) throw new InvalidDataException($"GIF: missing LZW code size at offset {pos}");
        int minCodeSize = data[pos++];

        var pixels = new byte[width * height];
        if (transparency >= 0) pixels.AsSpan().Fill((byte)transparency);
        if (fw > 0 && fh > 0)
        {
            Func<int, int> rowOf = interlaced ? InterlacedRows(fh, y0) : r => y0 + r;
            GifLzw.Decode(data, pos, minCodeSize, pixels, width, x0, fw, fh, rowOf);
        }

        if (!usePalette)
            return new ImageFrame(width, height, PixelMode.L, pixels) { HasTransparency = transparency >= 0 };

        var rgba = PaletteBuilder.GreyRamp();
        for (int i = 0; i < palette.Length / 3; i++)
        {
            rgba[i * 4] = palette[i * 3];
            rgba[i * 4 + 1] = palette[i * 3 + 1];
            rgba[i * 4 + 2] = palette[i * 3 + 2];
        }
        if (transparency >= 0) rgba[transparency * 4 + 3] = 0;
        return new ImageFrame(width, height, PixelMode.P, pixels) { Palette = rgba, HasTransparency = transparency >= 0 };
    }

    /// <summary>Frame row r of an interlaced GIF → image row: passes start at 0, 4, 2, 1 with steps 8, 8, 4, 2.</summary>
    private static Func<int, int> InterlacedRows(int frameHeight, int top)
    {
        var map = new int[frameHeight];
        int r = 0;
        foreach (var (start, step) in new[] { (0, 8), (4, 8), (2, 4), (1, 2) })
            for (int y = start; y < frameHeight; y += step)
                map[r++] = top + y;
        return row => map[row];
    }

    /// <summary>Pillow keeps a GIF palette unless every entry i is (i, i, i).</summary>
    private static bool IsPaletteNeeded(ReadOnlySpan<byte> p)
    {
        for (int i = 0; i + 2 < p.Length; i += 3)
            if (p[i] != i / 3 || p[i + 1] != i / 3 || p[i + 2] != i / 3) return true;
        return false;
    }
}
