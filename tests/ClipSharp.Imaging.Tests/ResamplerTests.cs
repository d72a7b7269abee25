using System.Runtime.InteropServices;
using System.Text.Json;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// <see cref="Resampler"/> against Pillow 9.4's Image.resize on LCG-generated inputs (up- and
/// down-scaling, odd sizes, one-axis resizes, every mode with its special rule).
/// </summary>
public class ResamplerTests
{
    public static IEnumerable<object[]> Cases() =>
        TestData.Json("resample_reference.json").EnumerateArray().Select((e, i) => new object[]
        {
            i, $"{e.GetProperty("mode").GetString()} {e.GetProperty("in")[0]}x{e.GetProperty("in")[1]}→" +
               $"{e.GetProperty("out")[0]}x{e.GetProperty("out")[1]} {e.GetProperty("filter").GetString()}",
        });

    private static readonly Dictionary<string, int> Bands = new()
    {
        ["RGB"] = 3, ["L"] = 1, ["RGBA"] = 4, ["LA"] = 2, ["CMYK"] = 4, ["P"] = 1, ["1"] = 1,
    };

    /// <summary>The same image make_reference.py's lcg_image builds.</summary>
    internal static ImageFrame LcgImage(string mode, int w, int h, int seed)
    {
        var rng = new Lcg(seed);
        if (mode == "I")
        {
            var values = new int[w * h];
            for (int i = 0; i < values.Length; i++) values[i] = rng.Next() << 8 | rng.Next();
            return new ImageFrame(w, h, PixelMode.I32, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        }
        var raw = rng.Bytes(w * h * Bands[mode]);
        if (mode == "1")
            return new ImageFrame(w, h, PixelMode.Bilevel, raw.Select(b => b >= 128 ? (byte)255 : (byte)0).ToArray());
        if (mode == "P")
        {
            var pal = rng.Bytes(768);
            var rgba = new byte[1024];
            for (int i = 0; i < 256; i++) { rgba[i * 4] = pal[i * 3]; rgba[i * 4 + 1] = pal[i * 3 + 1]; rgba[i * 4 + 2] = pal[i * 3 + 2]; rgba[i * 4 + 3] = 255; }
            return new ImageFrame(w, h, PixelMode.P, raw) { Palette = rgba };
        }
        return new ImageFrame(w, h, TestData.ModeOf(mode), raw);
    }

    private static (JsonElement Case, byte[] Expected) Load(int index)
    {
        var c = TestData.Json("resample_reference.json")[index];
        var blob = System.IO.File.ReadAllBytes(TestData.File("resample_reference.bin"));
        return (c, blob.AsSpan(c.GetProperty("offset").GetInt32(), c.GetProperty("length").GetInt32()).ToArray());
    }

    private static ImageFrame Input(JsonElement c) =>
        LcgImage(c.GetProperty("mode").GetString()!, c.GetProperty("in")[0].GetInt32(), c.GetProperty("in")[1].GetInt32(),
            c.GetProperty("seed").GetInt32());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Resize_MatchesPillow(int index, string description)
    {
        var (c, expected) = Load(index);
        var src = Input(c);
        int ow = c.GetProperty("out")[0].GetInt32(), oh = c.GetProperty("out")[1].GetInt32();
        var result = Resampler.Resize(src, ow, oh, TestData.FilterOf(c.GetProperty("filter").GetString()!));
        Assert.Equal(src.Mode, result.Mode);
        Assert.Equal((ow, oh), (result.Width, result.Height));
        DecoderTests.AssertBytes(expected, result.Pixels, description);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResizeRegion_EqualsCropOfFullResize(int index, string description)
    {
        var (c, expected) = Load(index);
        var src = Input(c);
        int ow = c.GetProperty("out")[0].GetInt32(), oh = c.GetProperty("out")[1].GetInt32();
        int x = ow / 3, y = oh / 4, w = Math.Max(1, ow - x - ow / 5), h = Math.Max(1, oh - y - 1 - oh / 7);
        h = Math.Min(h, oh - y);
        var region = Resampler.ResizeRegion(src, ow, oh, TestData.FilterOf(c.GetProperty("filter").GetString()!), x, y, w, h);
        int bpp = src.BytesPerPixel;
        var want = new byte[w * h * bpp];
        for (int j = 0; j < h; j++)
            expected.AsSpan(((y + j) * ow + x) * bpp, w * bpp).CopyTo(want.AsSpan(j * w * bpp));
        DecoderTests.AssertBytes(want, region.Pixels, description + $" window {w}x{h}@({x},{y})");
    }

    /// <summary>Pillow's rule composed from its parts: premultiply a copy, resize it with no alpha rule, un-premultiply.</summary>
    private static byte[] PremultiplyResizeUnpremultiply(ImageFrame src, int ow, int oh, int x, int y, int w, int h)
    {
        var pre = (byte[])src.Pixels.Clone();
        Conversion.AlphaPremultiplier.Premultiply(pre, src.BytesPerPixel);
        byte[] result;
        if (src.Mode == PixelMode.Rgba)   // CMYK: four 8-bit channels and no special rule
            result = Resampler.ResizeRegion(new ImageFrame(src.Width, src.Height, PixelMode.Cmyk, pre), ow, oh, ResampleFilter.Bicubic, x, y, w, h).Pixels;
        else
        {
            // LA: resize each channel as its own L image and interleave.
            var l = new byte[pre.Length / 2];
            var a = new byte[pre.Length / 2];
            for (int i = 0; i < l.Length; i++) { l[i] = pre[2 * i]; a[i] = pre[2 * i + 1]; }
            var rl = Resampler.ResizeRegion(new ImageFrame(src.Width, src.Height, PixelMode.L, l), ow, oh, ResampleFilter.Bicubic, x, y, w, h).Pixels;
            var ra = Resampler.ResizeRegion(new ImageFrame(src.Width, src.Height, PixelMode.L, a), ow, oh, ResampleFilter.Bicubic, x, y, w, h).Pixels;
            result = new byte[rl.Length * 2];
            for (int i = 0; i < rl.Length; i++) { result[2 * i] = rl[i]; result[2 * i + 1] = ra[i]; }
        }
        Conversion.AlphaPremultiplier.Unpremultiply(result, src.BytesPerPixel);
        return result;
    }

    [Theory]
    [InlineData("RGBA", 300, 211, 150, 211)]   // horizontal only
    [InlineData("RGBA", 211, 300, 211, 97)]    // vertical only
    [InlineData("RGBA", 900, 700, 224, 174)]   // both, many premultiplied bands of rows
    [InlineData("LA", 301, 157, 64, 157)]
    [InlineData("LA", 157, 301, 157, 500)]
    [InlineData("LA", 640, 480, 100, 75)]
    public void AlphaModes_MatchPremultiplyResizeUnpremultiply(string mode, int sw, int sh, int ow, int oh)
    {
        var src = LcgImage(mode, sw, sh, 11);
        var before = (byte[])src.Pixels.Clone();
        int x = ow / 5, y = oh / 6, w = ow - x - ow / 7, h = oh - y - oh / 9;
        var region = Resampler.ResizeRegion(src, ow, oh, ResampleFilter.Bicubic, x, y, w, h);
        DecoderTests.AssertBytes(PremultiplyResizeUnpremultiply(src, ow, oh, x, y, w, h), region.Pixels, $"{mode} {sw}x{sh}->{ow}x{oh}");
        Assert.Equal(before, src.Pixels);   // the source is not premultiplied in place
    }

    [Fact]
    public void DownscalingALargeRgbaImage_DoesNotCopyIt()
    {
        // 2000 x 1500 RGBA is 12 MB; Pillow's rule used to premultiply a full copy before resizing.
        var src = new ImageFrame(2000, 1500, PixelMode.Rgba, new byte[2000 * 1500 * 4]);
        Resampler.ResizeRegion(src, 298, 224, ResampleFilter.Bicubic, 37, 0, 224, 224);   // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        Resampler.ResizeRegion(src, 298, 224, ResampleFilter.Bicubic, 37, 0, 224, 224);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 4L << 20, $"allocated {allocated >> 10} KiB to resize a {src.Pixels.Length >> 20} MB image");
    }

    [Fact]
    public void SameSize_IsUnchangedCopy()
    {
        var src = LcgImage("RGBA", 9, 7, 5);
        var result = Resampler.Resize(src, 9, 7, ResampleFilter.Bicubic);
        Assert.Equal(src.Pixels, result.Pixels); // no premultiply round trip when the size is unchanged
        Assert.NotSame(src.Pixels, result.Pixels);
    }

    [Fact]
    public void BicubicCoefficients_FollowPillowWindow()
    {
        // 300 → 64: scale 4.6875, support 2 × 4.6875 = 9.375, ksize = ceil(9.375)·2 + 1 = 21.
        var c = new ResampleCoefficients(300, 0f, 300f, 64, ResampleFilter.Bicubic);
        Assert.Equal(21, c.KernelSize);
        // center of output 0 = 2.34375: window [trunc(−6.53), trunc(12.22)) = [0, 12).
        Assert.Equal(0, c.Start[0]);
        Assert.Equal(12, c.Count[0]);
        for (int i = 0; i < 64; i++)
        {
            double sum = 0;
            for (int t = 0; t < c.Count[i]; t++) sum += c.Weights[i * c.KernelSize + t];
            Assert.Equal(1.0, sum, 12);
        }
    }
}
