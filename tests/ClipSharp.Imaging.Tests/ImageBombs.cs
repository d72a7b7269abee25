using System.Buffers.Binary;
using System.IO.Compression;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// Builds small hostile image files (decompression bombs and costly-but-tiny files) byte by byte, so the
/// budget tests and the fuzz harness (bench/ClipSharp.Fuzz links this file) never need committed binaries.
/// </summary>
public static class ImageBombs
{
    /// <summary>
    /// A baseline greyscale JPEG declaring <paramref name="width"/> × <paramref name="height"/> whose only
    /// scan holds <paramref name="scanBytes"/> bytes of all-zero entropy data (default Huffman tables).
    /// </summary>
    public static byte[] BaselineJpeg(int width, int height, int components = 1, int scanBytes = 0)
    {
        var j = new JpegWriter();
        j.Soi();
        j.Dqt();
        j.Sof(0xC0, width, height, components);
        j.Sos(components, 0, 63, 0, 0);
        for (int i = 0; i < scanBytes; i++) j.Byte(0);
        j.Eoi();
        return j.ToArray();
    }

    /// <summary>
    /// A progressive greyscale JPEG: a DC scan with one bit (DC difference 0) per block, then
    /// <paramref name="acScans"/> AC-first scans of band 1..63, each a handful of end-of-band runs covering
    /// every block, so every scan is about 18 bytes but walks the whole image. Decodes to flat grey.
    /// </summary>
    public static byte[] ProgressiveJpeg(int width, int height, int acScans, int components = 1)
    {
        var j = new JpegWriter();
        j.Soi();
        j.Dqt();
        j.Sof(0xC2, width, height, components);
        j.Dht(0x00, [0, 1], [0x00]);              // DC: one 1-bit code "0" for category 0
        j.Dht(0x10, [0, 0, 2], [0x00, 0xE0]);     // AC: "00" = EOB, "01" = EOB run of 2^14 + 14 bits
        long blocks = (long)((width + 7) / 8) * ((height + 7) / 8);
        j.Sos(components, 0, 0, 0, 0);
        var bits = new BitWriter(j);
        for (long b = 0; b < blocks * components; b++) bits.Write(0, 1);
        bits.Flush();
        for (int s = 0; s < acScans; s++)
        {
            for (int c = 0; c < components; c++)
            {
                j.Sos(1, 1, 63, 0, 0, c);
                bits = new BitWriter(j);
                for (long left = blocks; left > 0; left -= Math.Min(left, 32767))
                {
                    long run = Math.Min(left, 32767);
                    if (run >= 16384) { bits.Write(1, 2); bits.Write((int)(run - 16384), 14); }
                    else
                    {
                        // Smaller runs: r = floor(log2 run) needs symbol r<<4, which the table lacks; use single EOBs.
                        for (long i = 0; i < run; i++) bits.Write(0, 2);
                    }
                }
                bits.Flush();
            }
        }
        j.Eoi();
        return j.ToArray();
    }

    /// <summary>An 8-bit PNG declaring <paramref name="width"/> × <paramref name="height"/> of colour type <paramref name="colorType"/>, with <paramref name="rows"/> rows of zero pixels in its IDAT.</summary>
    public static byte[] Png(int width, int height, int colorType, int rows, bool interlaced = false)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)(interlaced ? 1 : 0);
        Chunk(ms, "IHDR", ihdr);
        if (colorType == 3) Chunk(ms, "PLTE", new byte[768]);
        var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            // Interlaced: the seven Adam7 passes hold more filter bytes; scale their total by rows / height.
            long total = interlaced ? Adam7Size(width, height, channels) * rows / height : ((long)width * channels + 1) * rows;
            var zeros = new byte[64 * 1024];
            for (long left = total; left > 0; left -= zeros.Length) z.Write(zeros, 0, (int)Math.Min(left, zeros.Length));
        }
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static long Adam7Size(int width, int height, int channels)
    {
        long total = 0;
        foreach (var (x0, y0, dx, dy) in new[] { (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2) })
        {
            long pw = (width - x0 + dx - 1) / dx, ph = (height - y0 + dy - 1) / dy;
            if (pw > 0 && ph > 0) total += ph * (pw * channels + 1);
        }
        return total;
    }

    /// <summary>An RLE8 BMP declaring <paramref name="width"/> × <paramref name="height"/> whose data is <paramref name="pairs"/> runs of 255 pixels then end-of-bitmap.</summary>
    public static byte[] Rle8Bmp(int width, int height, int pairs)
    {
        int dataOffset = 14 + 40 + 1024;
        var b = new byte[dataOffset + pairs * 2 + 2];
        b[0] = (byte)'B'; b[1] = (byte)'M';
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), b.Length);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), dataOffset);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), width);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), height);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 8);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(30), 1); // BI_RLE8
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(46), 256);
        for (int i = 0; i < 256; i++) { b[54 + i * 4] = (byte)(255 - i); b[55 + i * 4] = (byte)i; b[56 + i * 4] = 7; }
        for (int i = 0; i < pairs; i++) { b[dataOffset + i * 2] = 255; b[dataOffset + i * 2 + 1] = (byte)i; }
        b[^1] = 1; // 0, 1: end of bitmap
        return b;
    }

    /// <summary>A GIF whose logical screen is <paramref name="width"/> × <paramref name="height"/> and whose one frame is 1×1 (35 bytes).</summary>
    public static byte[] Gif(int width, int height)
    {
        var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        Span<byte> screen = stackalloc byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(screen, (ushort)width);
        BinaryPrimitives.WriteUInt16LittleEndian(screen[2..], (ushort)height);
        screen[4] = 0x80; // global palette of 2 entries
        ms.Write(screen);
        ms.Write([0, 0, 0, 255, 255, 255]);
        ms.Write([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]);  // descriptor: 1x1 at (0, 0)
        ms.Write([2, 2, 0x44, 0x01, 0, 0x3B]);        // LZW min size 2, one sub-block, terminator, trailer
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] body)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, body.Length);
        s.Write(len);
        var t = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(body);
        uint crc = Crc(Crc(0xFFFFFFFFu, t), body) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(len, crc);
        s.Write(len);
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return crc;
    }

    private sealed class JpegWriter
    {
        private readonly MemoryStream _s = new();

        public void Byte(int b) => _s.WriteByte((byte)b);
        public void Soi() { Byte(0xFF); Byte(0xD8); }
        public void Eoi() { Byte(0xFF); Byte(0xD9); }
        public byte[] ToArray() => _s.ToArray();

        private void Marker(int marker, int length) { Byte(0xFF); Byte(marker); Byte(length >> 8); Byte(length); }

        public void Dqt()
        {
            Marker(0xDB, 67);
            Byte(0);
            for (int i = 0; i < 64; i++) Byte(1);
        }

        public void Sof(int marker, int width, int height, int components)
        {
            Marker(marker, 8 + 3 * components);
            Byte(8); Byte(height >> 8); Byte(height); Byte(width >> 8); Byte(width); Byte(components);
            for (int c = 0; c < components; c++) { Byte(c + 1); Byte(0x11); Byte(0); }
        }

        public void Dht(int classAndId, int[] countsPrefix, byte[] symbols)
        {
            Marker(0xC4, 2 + 1 + 16 + symbols.Length);
            Byte(classAndId);
            for (int i = 0; i < 16; i++) Byte(i < countsPrefix.Length ? countsPrefix[i] : 0);
            foreach (var s in symbols) Byte(s);
        }

        public void Sos(int count, int ss, int se, int ah, int al, int first = 0)
        {
            Marker(0xDA, 6 + 2 * count);
            Byte(count);
            for (int c = 0; c < count; c++) { Byte(first + c + 1); Byte(0x00); }
            Byte(ss); Byte(se); Byte(ah << 4 | al);
        }
    }

    /// <summary>MSB-first entropy-coded bits with 0xFF byte stuffing, padded with 1s.</summary>
    private sealed class BitWriter(JpegWriter w)
    {
        private int _acc, _n;

        public void Write(int value, int bits)
        {
            for (int i = bits - 1; i >= 0; i--)
            {
                _acc = _acc << 1 | (value >> i) & 1;
                if (++_n == 8) Emit();
            }
        }

        public void Flush()
        {
            if (_n > 0)
            {
                while (_n < 8) { _acc = _acc << 1 | 1; _n++; }
                Emit();
            }
        }

        private void Emit()
        {
            w.Byte(_acc);
            if (_acc == 0xFF) w.Byte(0);
            _acc = 0;
            _n = 0;
        }
    }
}
