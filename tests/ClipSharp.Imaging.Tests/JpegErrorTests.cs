using ClipSharp.Imaging.Jpeg;
using ClipSharp.Testing;

namespace ClipSharp.Imaging.Tests;

/// <summary>Refusals, truncation and corruption: only InvalidDataException / NotSupportedException may escape.</summary>
public class JpegErrorTests
{
    private static byte[] Sample(string name) => File.ReadAllBytes(Path.Combine(JpegReferenceEntry.DataDir, name));

    /// <summary>Offset of the first segment with this marker code (the 0xFF byte).</summary>
    private static int FindSegment(byte[] data, int marker)
    {
        int i = 2;
        while (i + 4 <= data.Length)
        {
            Assert.Equal(0xFF, data[i]);
            if (data[i + 1] == marker) return i;
            i += 2 + (data[i + 2] << 8 | data[i + 3]);
        }
        throw new InvalidOperationException($"marker 0x{marker:X2} not found");
    }

    private static byte[] WithoutSegment(byte[] data, int marker)
    {
        int at = FindSegment(data, marker);
        int len = 2 + (data[at + 2] << 8 | data[at + 3]);
        return [.. data.AsSpan(0, at), .. data.AsSpan(at + len)];
    }

    [Fact]
    public void RejectsNonJpegWithOffset()
    {
        var ex = Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode([0x89, (byte)'P', (byte)'N', (byte)'G']));
        Assert.Contains("0x89 0x50", ex.Message);
        Assert.Contains("byte offset 0", ex.Message);
        Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode([]));
        Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode([0xFF]));
        Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode([0xFF, 0xD8]));
    }

    [Fact]
    public void RefusesArithmeticCoding()
    {
        var ex = Assert.Throws<NotSupportedException>(() => JpegDecoder.Decode(Sample("unsupported_arithmetic.jpg")));
        Assert.Contains("arithmetic", ex.Message);
    }

    [Theory]
    [InlineData(0xC3, "lossless")]
    [InlineData(0xC5, "hierarchical")]
    [InlineData(0xC7, "hierarchical")]
    [InlineData(0xCA, "arithmetic")]
    public void RefusesOtherProcesses(int sof, string word)
    {
        byte[] data = Sample("p420.jpg");
        data[FindSegment(data, 0xC0) + 1] = (byte)sof;
        var ex = Assert.Throws<NotSupportedException>(() => JpegDecoder.Decode(data));
        Assert.Contains(word, ex.Message);
    }

    [Fact]
    public void RefusesTwelveBitAndDnlHeight()
    {
        byte[] data = Sample("p420.jpg");
        int sof = FindSegment(data, 0xC0);
        byte[] twelve = (byte[])data.Clone();
        twelve[sof + 4] = 12;
        Assert.Contains("12-bit", Assert.Throws<NotSupportedException>(() => JpegDecoder.Decode(twelve)).Message);
        byte[] dnl = (byte[])data.Clone();
        dnl[sof + 5] = 0;
        dnl[sof + 6] = 0;
        Assert.Contains("DNL", Assert.Throws<NotSupportedException>(() => JpegDecoder.Decode(dnl)).Message);
    }

    [Fact]
    public void MissingTablesAreReported()
    {
        var ex = Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode(WithoutSegment(Sample("p420.jpg"), 0xDB)));
        Assert.Contains("quantisation table", ex.Message);
        // A progressive file without DHT has no default tables to fall back on.
        // (Entropy-coded data never contains 0xFF 0xC4: a 0xFF data byte is always followed by 0x00.)
        byte[] prog = Sample("c420_prog_custom.jpg");
        int removed = 0;
        for (int i = prog.AsSpan().IndexOf([(byte)0xFF, (byte)0xC4]); i >= 0; i = prog.AsSpan().IndexOf([(byte)0xFF, (byte)0xC4]), removed++)
            prog = [.. prog.AsSpan(0, i), .. prog.AsSpan(i + 2 + (prog[i + 2] << 8 | prog[i + 3]))];
        Assert.True(removed > 1);
        Assert.Contains("Huffman table", Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode(prog)).Message);
    }

    [Fact]
    public void TruncationIsReportedWithOffset()
    {
        byte[] data = File.ReadAllBytes(Fixtures.Path("vit-tiny", "images", "rocket.jpg"));
        var noEoi = Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode(data.AsSpan(0, data.Length - 2)));
        Assert.Contains("EOI", noEoi.Message);
        int cut = data.Length / 2;
        var mid = Assert.Throws<InvalidDataException>(() => JpegDecoder.Decode(data.AsSpan(0, cut)));
        Assert.Contains("truncated", mid.Message);
        Assert.Contains($"byte offset {cut}", mid.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(16)]
    public void RejectsBadScale(int scale)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            JpegDecoder.Decode(Sample("p420.jpg"), new JpegDecodeOptions { ScaleDenominator = scale }));
    }

    [Fact]
    public void MaxPixelsGuardsAllocation()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            JpegDecoder.Decode(Sample("p420.jpg"), new JpegDecodeOptions { MaxPixels = 100 }));
        Assert.Contains("pixels", ex.Message);
    }

    public static TheoryData<string> FuzzFiles()
    {
        var d = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(JpegReferenceEntry.DataDir, "*.jpg").Order()) d.Add(Path.GetFileName(f));
        foreach (var f in Directory.GetFiles(Fixtures.Path("vit-tiny", "images"), "*.jpg").Order()) d.Add("fixture:" + Path.GetFileName(f));
        return d;
    }

    private static byte[] Load(string name) => name.StartsWith("fixture:")
        ? File.ReadAllBytes(Fixtures.Path("vit-tiny", "images", name["fixture:".Length..]))
        : Sample(name);

    [Theory]
    [MemberData(nameof(FuzzFiles))]
    public void TruncatedAndCorruptedInputOnlyThrowsTypedExceptions(string name) => Fuzz(Load(name), 48, 96, seed: name.Length);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(FuzzFiles))]
    public void FuzzExtensively(string name) => Fuzz(Load(name), 1000, 2000, seed: 1234 + name.Length);

    /// <summary>
    /// Decodes <paramref name="truncations"/> prefixes and <paramref name="mutations"/> copies with 1–4 bytes
    /// replaced (biased towards headers, where a flip changes structure), at every scale.
    /// </summary>
    private static void Fuzz(byte[] data, int truncations, int mutations, int seed)
    {
        var rng = new Random(seed);
        for (int i = 0; i < truncations; i++)
        {
            int len = (int)((long)data.Length * i / truncations);
            Check(data.AsSpan(0, len).ToArray(), 1 << (i % 4));
        }
        for (int i = 0; i < mutations; i++)
        {
            byte[] copy = (byte[])data.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++)
            {
                int at = rng.Next(4) == 0 ? rng.Next(Math.Min(copy.Length, 700)) : rng.Next(copy.Length);
                copy[at] = rng.Next(3) switch
                {
                    0 => (byte)(copy[at] ^ (1 << rng.Next(8))),
                    1 => 0xFF,
                    _ => (byte)rng.Next(256),
                };
            }
            Check(copy, 1 << (i % 4));
        }
    }

    private static void Check(byte[] data, int scale)
    {
        try
        {
            var frame = JpegDecoder.Decode(data, new JpegDecodeOptions { ScaleDenominator = scale });
            Assert.Equal(frame.Width * frame.Height * frame.BytesPerPixel, frame.Pixels.Length);
        }
        catch (InvalidDataException) { }
        catch (NotSupportedException) { }
    }
}
