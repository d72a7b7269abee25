using ClipSharp.Imaging.Jpeg;

namespace ClipSharp.Imaging.Tests;

/// <summary>Fast kernels against their scalar references, and the reduced IDCTs' basic identities.</summary>
public class JpegKernelTests
{
    /// <summary>Random blocks shaped like real data: large low-frequency terms, sparse small high-frequency ones.</summary>
    private static (short[] coef, short[] quant) RandomBlock(Random rng, int kind)
    {
        var coef = new short[64];
        var quant = new short[64];
        for (int i = 0; i < 64; i++)
        {
            quant[i] = (short)rng.Next(1, kind == 2 ? 256 : 64);
            int limit = 2048 / quant[i];
            coef[i] = kind switch
            {
                0 => (short)(i == 0 ? rng.Next(-limit, limit) : 0),                       // DC only
                1 => (short)(rng.Next(4) == 0 ? rng.Next(-limit, limit) : 0),             // sparse
                _ => (short)rng.Next(-limit, limit + 1),                                   // dense, up to saturation
            };
        }
        return (coef, quant);
    }

    [Fact]
    public void Avx2IdctMatchesScalarReference()
    {
        if (!IdctAvx2.IsSupported) return; // nothing to compare on this host
        var rng = new Random(42);
        const int stride = 11;
        for (int n = 0; n < 20000; n++)
        {
            var (coef, quant) = RandomBlock(rng, n % 3);
            var expected = new byte[8 * stride];
            var actual = new byte[8 * stride];
            Idct.Islow8x8(coef, quant, expected, stride);
            IdctAvx2.Islow8x8(coef, quant, actual, stride);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"block {n} differs");
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(4)]
    [InlineData(2)]
    [InlineData(1)]
    public void DcOnlyBlocksAreFlat(int size)
    {
        for (int dc = -1100; dc <= 1100; dc += 7)
        {
            var coef = new short[64];
            coef[0] = (short)dc;
            var quant = new short[64];
            quant.AsSpan().Fill(1);
            var output = new byte[size * size];
            Idct.Transform(size, coef, quant, output, size);
            // DC/8 rounded half up, level-shifted and clamped.
            int expected = Math.Clamp((int)Math.Floor(dc / 8.0 + 0.5) + 128, 0, 255);
            Assert.All(output, v => Assert.Equal(expected, v));
        }
    }

    [Fact]
    public void FancyUpsamplersKeepFlatRowsFlatAndInterpolateRamps()
    {
        byte[] flat = [77, 77, 77, 77, 77];
        var o = new byte[10];
        Upsampler.H2V1Fancy(flat, o);
        Assert.All(o, v => Assert.Equal(77, v));
        Upsampler.H2V2Fancy(flat, flat, new int[5], o);
        Assert.All(o, v => Assert.Equal(77, v));
        // A ramp 0, 40, 80: interior outputs are 3/4 + 1/4 blends with libjpeg's alternating rounding.
        Upsampler.H2V1Fancy([0, 40, 80], o.AsSpan(0, 6));
        Assert.Equal(new byte[] { 0, 10, 30, 50, 70, 80 }, o[..6]);
    }
}

public class JpegColorKernelTests
{
    [Fact]
    public void Avx2YccToRgbMatchesReferenceForEveryInputTriple()
    {
        // All 2^24 (Y, Cb, Cr) triples, 4096 pixels at a time; row lengths vary to exercise the tail.
        var y = new byte[4096 + 5];
        var cb = new byte[y.Length];
        var cr = new byte[y.Length];
        var expected = new byte[3 * y.Length];
        var actual = new byte[3 * y.Length];
        for (int block = 0; block < (1 << 24) / 4096; block++)
        {
            for (int i = 0; i < 4096; i++)
            {
                int v = block * 4096 + i;
                y[i] = (byte)v;
                cb[i] = (byte)(v >> 8);
                cr[i] = (byte)(v >> 16);
            }
            int n = 4096 + block % 6;
            ColorConverter.YccToRgbReference(y.AsSpan(0, n), cb.AsSpan(0, n), cr.AsSpan(0, n), expected);
            ColorConverter.YccToRgb(y.AsSpan(0, n), cb.AsSpan(0, n), cr.AsSpan(0, n), actual);
            Assert.True(expected.AsSpan(0, 3 * n).SequenceEqual(actual.AsSpan(0, 3 * n)), $"block {block} differs");
        }
    }
}
