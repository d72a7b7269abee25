using System.Buffers.Binary;
using System.IO.Compression;
using ClipSharp.Imaging.Png;

namespace ClipSharp.Imaging.Encoding;

/// <summary>
/// Writes 8-bit greyscale, RGB or RGBA images as PNG (filter type 0 on every row, zlib-compressed
/// IDAT, CRC-32 per chunk). Used for thumbnails, exported datasets and plots.
/// </summary>
public static class PngWriter
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static byte[] Encode(ImageFrame image)
    {
        byte colourType = image.Mode switch
        {
            PixelMode.L => 0,
            PixelMode.Rgb => 2,
            PixelMode.LA => 4,
            PixelMode.Rgba => 6,
            _ => throw new NotSupportedException($"PNG writer supports L, LA, RGB and RGBA, not {image.Mode}"),
        };
        using var output = new MemoryStream();
        output.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8;            // bit depth
        header[9] = colourType;
        header[10] = header[11] = header[12] = 0;  // deflate, adaptive filtering, no interlace
        WriteChunk(output, "IHDR", header);
        int stride = image.Width * image.BytesPerPixel;
        using (var compressed = new MemoryStream())
        {
            using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                for (int y = 0; y < image.Height; y++)
                {
                    z.WriteByte(0);
                    z.Write(image.Pixels, y * stride, stride);
                }
            }
            WriteChunk(output, "IDAT", compressed.ToArray());
        }
        WriteChunk(output, "IEND", ReadOnlySpan<byte>.Empty);
        return output.ToArray();
    }

    /// <summary>Writes the PNG atomically (temporary file, then rename).</summary>
    public static void Save(string path, ImageFrame image)
    {
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, Encode(image));
        File.Move(tmp, path, overwrite: true);
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> buf = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buf, data.Length);
        s.Write(buf);
        Span<byte> typeBytes = stackalloc byte[4];
        for (int i = 0; i < 4; i++) typeBytes[i] = (byte)type[i];
        s.Write(typeBytes);
        s.Write(data);
        uint crc = Crc32.Update(Crc32.Update(0xFFFFFFFFu, typeBytes), data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(buf, crc);
        s.Write(buf);
    }
}

