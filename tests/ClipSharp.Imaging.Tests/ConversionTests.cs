using System.Runtime.InteropServices;
using ClipSharp.Imaging.Conversion;

namespace ClipSharp.Imaging.Tests;

/// <summary>Exhaustive comparisons with Pillow 9.4's mode conversions (data/convert_reference.*).</summary>
public class ConversionTests
{
    private static byte[] Table(string name)
    {
        var index = TestData.Json("convert_reference.json").GetProperty("tables").GetProperty(name);
        var blob = System.IO.File.ReadAllBytes(TestData.File("convert_reference.bin"));
        return blob.AsSpan(index[0].GetInt32(), index[1].GetInt32()).ToArray();
    }

    /// <summary>Pixel k of the tables: colour k % 256, alpha (or K) k / 256.</summary>
    private static byte[] Pixels(int channels)
    {
        var px = new byte[65536 * channels];
        for (int k = 0; k < 65536; k++)
        {
            for (int ch = 0; ch < channels - 1; ch++) px[k * channels + ch] = (byte)(k % 256);
            px[k * channels + channels - 1] = (byte)(k / 256);
        }
        return px;
    }

    private static byte[] Channel0(byte[] px, int channels) => Enumerable.Range(0, 65536).Select(k => px[k * channels]).ToArray();

    [Theory]
    [InlineData(4, "RGBA_to_RGBa", "RGBa_to_RGBA")]
    [InlineData(2, "LA_to_La", "La_to_LA")]
    public void Premultiply_AndInverse_MatchPillowForEveryValueAndAlpha(int channels, string forward, string inverse)
    {
        var px = Pixels(channels);
        AlphaPremultiplier.Premultiply(px, channels);
        DecoderTests.AssertBytes(Table(forward), Channel0(px, channels), forward);

        px = Pixels(channels);
        AlphaPremultiplier.Unpremultiply(px, channels);
        DecoderTests.AssertBytes(Table(inverse), Channel0(px, channels), inverse);
    }

    [Fact]
    public void Cmyk_MatchesPillowForEveryCmyAndK()
    {
        var frame = new ImageFrame(256, 256, PixelMode.Cmyk, Pixels(4));
        var rgb = RgbConverter.ToRgb(frame).Pixels;
        DecoderTests.AssertBytes(Table("CMYK_to_RGB"), Enumerable.Range(0, 65536).Select(k => rgb[k * 3]).ToArray(), "CMYK→RGB");
    }

    [Fact]
    public void I32_ClipsLikePillow()
    {
        var json = TestData.Json("convert_reference.json");
        var values = json.GetProperty("I_values").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = json.GetProperty("I_to_RGB").EnumerateArray().Select(e => (byte)e.GetInt32()).ToArray();
        var frame = new ImageFrame(values.Length, 1, PixelMode.I32, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        var rgb = RgbConverter.ToRgb(frame).Pixels;
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(expected[i], rgb[i * 3]);
            Assert.Equal(expected[i], rgb[i * 3 + 2]);
        }
    }

    [Fact]
    public void I16_ClipsTo255()
    {
        ushort[] values = [0, 1, 255, 256, 300, 65535];
        var frame = new ImageFrame(values.Length, 1, PixelMode.I16, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 1, 1, 1, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255 },
            RgbConverter.ToRgb(frame).Pixels);
    }

    [Fact]
    public void Palette_ShortPaletteFallsBackToGreyRamp_AndIgnoresAlpha()
    {
        byte[] palette = [10, 20, 30, 0, 40, 50, 60, 128]; // two RGBA entries, alpha ignored by convert("RGB")
        var frame = new ImageFrame(3, 1, PixelMode.P, [0, 1, 200]) { Palette = palette };
        Assert.Equal(new byte[] { 10, 20, 30, 40, 50, 60, 200, 200, 200 }, RgbConverter.ToRgb(frame).Pixels);
    }

    [Fact]
    public void LaAndRgba_DropAlphaWithoutCompositing()
    {
        var la = new ImageFrame(2, 1, PixelMode.LA, [7, 0, 9, 255]);
        Assert.Equal(new byte[] { 7, 7, 7, 9, 9, 9 }, RgbConverter.ToRgb(la).Pixels);
        var rgba = new ImageFrame(1, 1, PixelMode.Rgba, [1, 2, 3, 0]);
        Assert.Equal(new byte[] { 1, 2, 3 }, RgbConverter.ToRgb(rgba).Pixels);
    }
}
