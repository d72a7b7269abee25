using System.Buffers.Binary;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>A scan header (SOS): the components it codes and its spectral/successive-approximation band.</summary>
internal sealed class ScanHeader
{
    public required JpegComponent[] Components { get; init; }
    public required int Ss { get; init; }
    public required int Se { get; init; }
    public required int Ah { get; init; }
    public required int Al { get; init; }
    /// <summary>Byte offset of the SOS marker, for messages.</summary>
    public required int Offset { get; init; }
}

/// <summary>
/// Tables and flags collected from the marker segments that precede and separate scans: DQT, DHT, DRI,
/// JFIF APP0, Adobe APP14 and the first Exif APP1. Each Parse method takes the segment's payload (after
/// the two length bytes) and the byte offset of its marker, and throws <see cref="InvalidDataException"/>
/// naming that offset when the payload is malformed.
/// </summary>
internal sealed class JpegTables
{
    /// <summary>Quantisation tables by slot, natural order.</summary>
    public readonly short[]?[] Quant = new short[]?[4];
    public readonly HuffmanTable?[] Dc = new HuffmanTable?[4];
    public readonly HuffmanTable?[] Ac = new HuffmanTable?[4];
    public int RestartInterval;
    public bool SawJfif;
    public bool SawAdobe;
    public int AdobeTransform;
    public bool SawExif;
    public int ExifOrientation = 1;

    /// <summary>DQT: one or more tables, each a byte Pq|Tq then 64 entries of 8 (Pq=0) or 16 (Pq=1) bits in zig-zag order.</summary>
    public void ParseDqt(ReadOnlySpan<byte> p, int offset)
    {
        int i = 0;
        while (i < p.Length)
        {
            int pq = p[i] >> 4, tq = p[i] & 15;
            if (tq > 3)
                throw Bad(offset, $"DQT table slot {tq} (expected 0..3)");
            if (pq > 1)
                throw Bad(offset, $"DQT precision {pq} (expected 0 for 8-bit or 1 for 16-bit entries)");
            int need = 1 + 64 * (pq + 1);
            if (i + need > p.Length)
                throw Bad(offset, $"DQT table {tq} needs {need} bytes, segment has {p.Length - i} left");
            var table = new short[64];
            for (int k = 0; k < 64; k++)
            {
                int v = pq == 0 ? p[i + 1 + k] : BinaryPrimitives.ReadUInt16BigEndian(p.Slice(i + 1 + 2 * k));
                table[JpegConstants.ZigZag[k]] = unchecked((short)v);
            }
            Quant[tq] = table;
            i += need;
        }
    }

    /// <summary>DHT: one or more tables, each Tc|Th, 16 code-length counts, then the symbols.</summary>
    public void ParseDht(ReadOnlySpan<byte> p, int offset)
    {
        int i = 0;
        while (i < p.Length)
        {
            if (i + 17 > p.Length)
                throw Bad(offset, $"DHT table header needs 17 bytes, segment has {p.Length - i} left");
            int tc = p[i] >> 4, th = p[i] & 15;
            if (tc > 1 || th > 3)
                throw Bad(offset, $"DHT table class/slot 0x{p[i]:X2} (expected class 0..1, slot 0..3)");
            var counts = p.Slice(i + 1, 16);
            int n = 0;
            foreach (byte c in counts) n += c;
            if (n > 256)
                throw Bad(offset, $"DHT table has {n} codes (at most 256)");
            if (i + 17 + n > p.Length)
                throw Bad(offset, $"DHT table needs {n} symbols, segment has {p.Length - i - 17} left");
            var table = new HuffmanTable(counts, p.Slice(i + 17, n), tc == 0, offset);
            (tc == 0 ? Dc : Ac)[th] = table;
            i += 17 + n;
        }
    }

    /// <summary>DRI: the restart interval in MCUs (0 disables restarts).</summary>
    public void ParseDri(ReadOnlySpan<byte> p, int offset)
    {
        if (p.Length != 2)
            throw Bad(offset, $"DRI payload of {p.Length} bytes (expected 2)");
        RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(p);
    }

    /// <summary>APPn: records JFIF (APP0), Adobe (APP14, with its colour transform byte) and Exif orientation (first APP1 "Exif\0\0").</summary>
    public void ParseApp(int marker, ReadOnlySpan<byte> p)
    {
        if (marker == JpegConstants.App0 && p.Length >= 14 && p[..5].SequenceEqual("JFIF\0"u8))
        {
            SawJfif = true;
        }
        else if (marker == JpegConstants.App14 && p.Length >= 12 && p[..5].SequenceEqual("Adobe"u8))
        {
            SawAdobe = true;
            AdobeTransform = p[11];
        }
        else if (marker == JpegConstants.App1 && !SawExif && p.Length >= 6 && p[..6].SequenceEqual("Exif\0\0"u8))
        {
            SawExif = true;
            if (Exif.TryReadOrientation(p[6..], out int orientation))
                ExifOrientation = orientation;
        }
    }

    /// <summary>SOFn: precision, height, width and per component its id, sampling factors and quantisation slot.</summary>
    public static JpegFrame ParseSof(int marker, ReadOnlySpan<byte> p, int offset)
    {
        string name = JpegConstants.Name(marker);
        if (marker is >= 0xC9 and <= 0xCF)
            throw new NotSupportedException($"JPEG: arithmetic-coded images ({name} at byte offset {offset}) are not supported");
        if (marker is JpegConstants.Sof3)
            throw new NotSupportedException($"JPEG: lossless images ({name} at byte offset {offset}) are not supported");
        if (marker is >= 0xC5 and <= 0xC7)
            throw new NotSupportedException($"JPEG: hierarchical images ({name} at byte offset {offset}) are not supported");
        if (p.Length < 6)
            throw Bad(offset, $"{name} payload of {p.Length} bytes (expected at least 6)");
        int precision = p[0];
        int height = BinaryPrimitives.ReadUInt16BigEndian(p[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(p[3..]);
        int count = p[5];
        if (precision != 8)
        {
            if (precision is 12 or 16)
                throw new NotSupportedException($"JPEG: {precision}-bit samples ({name} at byte offset {offset}) are not supported");
            throw Bad(offset, $"{name} sample precision {precision} (expected 8)");
        }
        if (height == 0)
            throw new NotSupportedException($"JPEG: {name} at byte offset {offset} gives height 0 (height defined by a DNL marker is not supported)");
        if (width == 0)
            throw Bad(offset, $"{name} gives width 0");
        if (count is 0 or > 4)
            throw Bad(offset, $"{name} has {count} components (expected 1, 3 or 4)");
        if (count == 2)
            throw new NotSupportedException($"JPEG: 2-component images ({name} at byte offset {offset}) are not supported (Pillow refuses them too)");
        if (p.Length != 6 + 3 * count)
            throw Bad(offset, $"{name} payload of {p.Length} bytes for {count} components (expected {6 + 3 * count})");
        var components = new JpegComponent[count];
        for (int i = 0; i < count; i++)
        {
            var c = p.Slice(6 + 3 * i, 3);
            int h = c[1] >> 4, v = c[1] & 15;
            if (h is < 1 or > 4 || v is < 1 or > 4)
                throw Bad(offset, $"{name} component {c[0]} has sampling factors {h}x{v} (expected 1..4 each)");
            if (c[2] > 3)
                throw Bad(offset, $"{name} component {c[0]} uses quantisation table {c[2]} (expected 0..3)");
            components[i] = new JpegComponent { Id = c[0], Index = i, H = h, V = v, QuantTableId = c[2] };
        }
        return new JpegFrame { Marker = marker, Width = width, Height = height, Components = components };
    }

    /// <summary>SOS: Ns, then per component its id and DC|AC table slots, then Ss, Se and Ah|Al.</summary>
    public static ScanHeader ParseSos(ReadOnlySpan<byte> p, int offset, JpegFrame frame)
    {
        if (p.Length < 1)
            throw Bad(offset, "SOS payload is empty");
        int n = p[0];
        if (n is < 1 or > 4)
            throw Bad(offset, $"SOS has {n} components (expected 1..4)");
        if (p.Length != 4 + 2 * n)
            throw Bad(offset, $"SOS payload of {p.Length} bytes for {n} components (expected {4 + 2 * n})");
        var comps = new JpegComponent[n];
        int blocks = 0;
        for (int i = 0; i < n; i++)
        {
            int id = p[1 + 2 * i], tables = p[2 + 2 * i];
            var c = Array.Find(frame.Components, x => x.Id == id)
                ?? throw Bad(offset, $"SOS names component id {id}, which the frame does not have");
            if (Array.IndexOf(comps, c, 0, i) >= 0)
                throw Bad(offset, $"SOS names component id {id} twice");
            comps[i] = c;
            c.DcTableId = tables >> 4;
            c.AcTableId = tables & 15;
            if (c.DcTableId > 3 || c.AcTableId > 3)
                throw Bad(offset, $"SOS component {id} selects Huffman tables 0x{tables:X2} (expected slots 0..3)");
            blocks += c.H * c.V;
        }
        if (n > 1 && blocks > 10)
            throw Bad(offset, $"SOS interleaves {blocks} blocks per MCU (at most 10 allowed)");
        int ss = p[1 + 2 * n], se = p[2 + 2 * n], ah = p[3 + 2 * n] >> 4, al = p[3 + 2 * n] & 15;
        if (frame.Progressive)
        {
            bool ok = ss <= se && se <= 63 && al <= 13 && (ah == 0 || al == ah - 1) && (ss == 0 ? se == 0 : n == 1);
            if (!ok)
                throw Bad(offset, $"progressive SOS with Ss={ss} Se={se} Ah={ah} Al={al} over {n} components is not a valid band");
        }
        return new ScanHeader { Components = comps, Ss = ss, Se = se, Ah = ah, Al = al, Offset = offset };
    }

    private static InvalidDataException Bad(int offset, string what) =>
        new($"JPEG: {what} (segment at byte offset {offset})");
}
