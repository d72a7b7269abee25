using System.Buffers.Binary;

namespace ClipSharp.Imaging.Png;

/// <summary>The fields of a PNG IHDR chunk.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel for the colour type (grey 1, RGB 3, palette 1, grey+alpha 2, RGBA 4).</summary>
    public int Channels => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => 0 };

    public int BitsPerPixel => Channels * BitDepth;
}

/// <summary>
/// Decodes PNG files (every colour type and bit depth, Adam7 interlace, all filter types) into the
/// <see cref="ImageFrame"/> Pillow 9.4 would open: 1-bit grey as "1", 2/4/8-bit grey as "L" (scaled
/// by 85/17/1), 16-bit grey as "I", 16-bit RGB/RGBA keeping the high byte, 16-bit grey+alpha as RGBA,
/// palette as "P" with tRNS alphas folded into the palette. Every chunk CRC is checked; gAMA, iCCP,
/// cHRM and sRGB are ignored, as Pillow ignores them for pixel values; eXIf sets the orientation.
/// </summary>
public static class PngDecoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>True when <paramref name="data"/> starts with the 8-byte PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.Length >= 8 && data[..8].SequenceEqual(Signature);

    /// <summary>Decodes a whole PNG file held in memory.</summary>
    /// <exception cref="InvalidDataException">The data is not a PNG, is truncated, or is corrupt (the message says where).</exception>
    public static ImageFrame Decode(ReadOnlySpan<byte> data, ImageDecodeLimits? limits = null)
    {
        limits ??= ImageDecodeLimits.Default;
        if (!IsPng(data)) throw new InvalidDataException("PNG: missing the 8-byte PNG signature at offset 0");

        PngHeader? header = null;
        byte[]? palette = null;   // RGBA, 256 entries
        bool transparency = false;
        int orientation = 1;
        using var idat = new MemoryStream();
        bool sawIend = false;

        int pos = 8;
        while (!sawIend)
        {
            if (pos == data.Length) break;
            if (data.Length - pos < 12)
                throw new InvalidDataException($"PNG: truncated chunk header at offset {pos} ({data.Length - pos} bytes left, need 12)");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            if (length > int.MaxValue || length > (uint)(data.Length - pos - 12))
                throw new InvalidDataException(
                    $"PNG: chunk at offset {pos} declares {length} data bytes but only {data.Length - pos - 12} remain (file truncated?)");
            var typeBytes = data.Slice(pos + 4, 4);
            string type = ChunkName(typeBytes);
            var body = data.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            uint actual = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), body) ^ 0xFFFFFFFFu;
            if (stored != actual)
                throw new InvalidDataException(
                    $"PNG: bad CRC in chunk {type} at offset {pos}: stored 0x{stored:X8}, computed 0x{actual:X8}");

            if (header is null && type != "IHDR")
                throw new InvalidDataException($"PNG: first chunk is {type} at offset {pos}, expected IHDR");
            switch (type)
            {
                case "IHDR":
                    if (header is not null) throw new InvalidDataException($"PNG: second IHDR chunk at offset {pos}");
                    header = ParseHeader(body, pos);
                    CheckBudget(header.Value, limits, data.Length);
                    break;
                case "PLTE":
                    palette = ParsePalette(body, pos);
                    break;
                case "tRNS":
                    transparency = true;
                    if (header!.Value.ColorType == 3)
                    {
                        if (palette is null)
                            throw new InvalidDataException($"PNG: tRNS chunk at offset {pos} comes before PLTE");
                        int n = Math.Min(body.Length, 256);
                        for (int i = 0; i < n; i++) palette[i * 4 + 3] = body[i];
                    }
                    break;
                case "eXIf":
                    orientation = PngExifOrientation.Read(body);
                    break;
                case "IDAT":
                    idat.Write(body);
                    break;
                case "IEND":
                    sawIend = true;
                    break;
            }
            pos += 12 + (int)length;
        }

        if (header is null) throw new InvalidDataException("PNG: no IHDR chunk");
        var h = header.Value;
        if (idat.Length == 0) throw new InvalidDataException("PNG: no IDAT chunk (no image data)");
        if (h.ColorType == 3 && palette is null)
            throw new InvalidDataException("PNG: palette image (colour type 3) without a PLTE chunk");

        CheckRawSize(h, idat.Length);
        idat.Position = 0;
        var frame = PngPixels.Decode(h, idat, palette, transparency, limits.Cancellation);
        return orientation == 1 ? frame : Rebuild(frame, orientation);
    }

    private static ImageFrame Rebuild(ImageFrame f, int orientation) =>
        new(f.Width, f.Height, f.Mode, f.Pixels)
        {
            Palette = f.Palette, HasTransparency = f.HasTransparency, ExifOrientation = orientation,
        };

    private static PngHeader ParseHeader(ReadOnlySpan<byte> body, int pos)
    {
        if (body.Length != 13)
            throw new InvalidDataException($"PNG: IHDR at offset {pos} has {body.Length} bytes, expected 13");
        uint w = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint h = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colorType = body[9];
        if (w == 0 || h == 0 || w > int.MaxValue || h > int.MaxValue)
            throw new InvalidDataException($"PNG: IHDR image size {w}x{h} is invalid");
        bool ok = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!ok)
            throw new InvalidDataException($"PNG: unsupported colour type {colorType} with bit depth {depth} in IHDR");
        if (body[10] != 0) throw new InvalidDataException($"PNG: unknown compression method {body[10]} in IHDR (expected 0)");
        if (body[11] != 0) throw new InvalidDataException($"PNG: unknown filter method {body[11]} in IHDR (expected 0)");
        if (body[12] > 1) throw new InvalidDataException($"PNG: unknown interlace method {body[12]} in IHDR (expected 0 or 1)");
        return new PngHeader((int)w, (int)h, depth, colorType, body[12] == 1);
    }

    /// <summary>The output frame against the pixel limit and the memory budget, before anything is allocated.</summary>
    private static void CheckBudget(in PngHeader h, ImageDecodeLimits limits, int inputLength)
    {
        long output = ImageDecodeLimits.FrameBytes(h.Width, h.Height, ImageFrame.BytesPerPixelOf(PngPixels.ModeOf(h)));
        limits.Check("PNG", h.Width, h.Height, output, inputLength, "IHDR");
    }

    /// <summary>
    /// Deflate expands at most 1032:1 (a 258-byte match coded in two bits), so IDAT data shorter than
    /// 1/1032 of the filtered rows cannot hold the image: refuse before allocating the frame.
    /// </summary>
    private static void CheckRawSize(in PngHeader h, long idatBytes)
    {
        long raw = PngPixels.FilteredSize(h);
        if (raw > 1032 * idatBytes + 64)
            throw new InvalidDataException(
                $"PNG: IHDR declares {h.Width}x{h.Height} ({raw} bytes of filtered rows) but the IDAT chunks hold only " +
                $"{idatBytes} bytes, too few to inflate to that size (image data truncated or a decompression bomb)");
    }

    /// <summary>PLTE → 256 RGBA entries; entries the file leaves out are the grey ramp Pillow fills in.</summary>
    private static byte[] ParsePalette(ReadOnlySpan<byte> body, int pos)
    {
        if (body.Length % 3 != 0 || body.Length == 0 || body.Length > 768)
            throw new InvalidDataException($"PNG: PLTE at offset {pos} has {body.Length} bytes, expected a multiple of 3 up to 768");
        var palette = PaletteBuilder.GreyRamp();
        for (int i = 0; i < body.Length / 3; i++)
        {
            palette[i * 4] = body[i * 3];
            palette[i * 4 + 1] = body[i * 3 + 1];
            palette[i * 4 + 2] = body[i * 3 + 2];
        }
        return palette;
    }

    private static string ChunkName(ReadOnlySpan<byte> t)
    {
        Span<char> c = stackalloc char[4];
        for (int i = 0; i < 4; i++) c[i] = t[i] is >= 0x20 and < 0x7F ? (char)t[i] : '?';
        return new string(c);
    }
}
