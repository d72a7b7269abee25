using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Imaging.Resampling;
using ClipSharp.Testing;
using Xunit.Abstractions;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// The whole CLIP transform against the reference fixtures' <c>pixel_values</c> (OpenAI CLIP on Pillow 9.4 /
/// torch 1.13.1), image by image.
/// </summary>
public class PreprocessorTests(ITestOutputHelper output)
{
    private static bool IsJpeg(string name) => name.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase)
                                               || name.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase);

    private static string[] FixtureImages(string fixture) =>
        TestData.JsonFile(Fixtures.Path(fixture, "expected.json")).GetProperty("images")
            .EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static IEnumerable<object[]> NonJpegCases() =>
        from fixture in new[] { "vit-tiny", "rn-tiny" }
        from name in FixtureImages(fixture)
        where !IsJpeg(name)
        select new object[] { fixture, name };

    public static IEnumerable<object[]> JpegCases() =>
        from fixture in new[] { "vit-tiny", "rn-tiny" }
        from name in FixtureImages(fixture)
        where IsJpeg(name)
        select new object[] { fixture, name };

    /// <summary>Max |ours − reference| for one fixture image.</summary>
    private double MaxDiff(string fixture, string name)
    {
        var names = FixtureImages(fixture);
        int index = Array.IndexOf(names, name);
        var (shape, values) = TestData.ReadSafetensorsF32(Fixtures.Path(fixture, "expected.safetensors"), "pixel_values");
        int r = (int)shape[3], plane = 3 * r * r;
        var expected = values.AsSpan(index * plane, plane);

        var pre = new Preprocessor(PreprocessConfig.Clip(r));
        var frame = ImageDecoder.Decode(Fixtures.Path(fixture, "images", name));
        var ours = pre.Preprocess(frame);
        Assert.Equal(plane, ours.Length);
        double max = 0;
        for (int i = 0; i < plane; i++) max = Math.Max(max, Math.Abs(ours[i] - expected[i]));
        output.WriteLine($"{fixture}/{name} ({frame.Mode} {frame.Width}x{frame.Height}): max abs diff {max:E3}");
        return max;
    }

    [Theory]
    [MemberData(nameof(NonJpegCases))]
    public void PixelValues_MatchFixture_NonJpeg(string fixture, string name) =>
        Assert.True(MaxDiff(fixture, name) <= 1e-6, $"{fixture}/{name} differs from the reference pixel_values");

    /// <summary>The JPEG fixture images: baseline, progressive, 4:4:4, greyscale, restart markers.</summary>
    [Theory]
    [MemberData(nameof(JpegCases))]
    public void PixelValues_MatchFixture_Jpeg(string fixture, string name) =>
        Assert.True(MaxDiff(fixture, name) <= 1e-6, $"{fixture}/{name} differs from the reference pixel_values");

    [Fact]
    public void FixtureImages_AreAllCoveredByTheTwoTests()
    {
        foreach (var fixture in new[] { "vit-tiny", "rn-tiny" })
        {
            var all = FixtureImages(fixture);
            Assert.Equal(14, all.Length);
            Assert.Equal(all.Length, all.Count(n => IsJpeg(n)) + all.Count(n => !IsJpeg(n)));
            Assert.All(all.Where(n => !IsJpeg(n)), n => Assert.Matches(@"\.(png|bmp|gif)$", n));
        }
    }

    [Theory]
    [InlineData(640, 427, 224, 335, 224)]
    [InlineData(427, 640, 224, 224, 335)]
    [InlineData(451, 300, 64, 96, 64)]
    [InlineData(14, 25, 64, 64, 114)]
    [InlineData(100, 100, 64, 64, 64)]
    public void ShortestResize_UsesTorchvisionTruncation(int w, int h, int size, int ew, int eh) =>
        Assert.Equal((ew, eh), new Preprocessor(PreprocessConfig.Clip(size)).ResizedSize(w, h));

    [Fact]
    public void LongestResize_PadsWithZeroAndCentres()
    {
        // A white 40x10 L image, longest side → 8: 8x2, padded to 8x8 with 3 rows above (open_clip: (8-2)//2).
        var frame = new ImageFrame(40, 10, PixelMode.L, Enumerable.Repeat((byte)255, 400).ToArray());
        var config = PreprocessConfig.FromOpenClip(8, [0, 0, 0], [1, 1, 1], resizeMode: "longest");
        var pre = new Preprocessor(config);
        Assert.Equal((8, 2), pre.ResizedSize(40, 10));
        var x = pre.Preprocess(frame);
        for (int row = 0; row < 8; row++)
            Assert.Equal(row is 3 or 4 ? 1f : 0f, x[row * 8 + 5]);
    }

    [Fact]
    public void Squash_IgnoresAspectRatio()
    {
        var pre = new Preprocessor(PreprocessConfig.FromOpenClip(16, resizeMode: "squash"));
        Assert.Equal((16, 16), pre.ResizedSize(300, 20));
        Assert.Equal(3 * 16 * 16, pre.Preprocess(ResamplerTests.LcgImage("RGB", 300, 20, 3)).Length);
    }

    [Fact]
    public void Normalisation_IsFloat32TorchArithmetic()
    {
        var frame = new ImageFrame(1, 1, PixelMode.Rgb, [0, 128, 255]);
        var x = new Preprocessor(PreprocessConfig.Clip(1)).Preprocess(frame);
        Assert.Equal((0f / 255f - 0.48145466f) / 0.26862954f, x[0]);
        Assert.Equal((128f / 255f - 0.4578275f) / 0.26130258f, x[1]);
        Assert.Equal((255f / 255f - 0.40821073f) / 0.27577711f, x[2]);
    }

    [Fact]
    public void Destination_TooSmall_Throws()
    {
        var pre = new Preprocessor(PreprocessConfig.Clip(4));
        Assert.Throws<ArgumentException>(() => pre.Preprocess(new ImageFrame(4, 4, PixelMode.L, new byte[16]), new float[47]));
    }

    [Fact]
    public void HuggingFaceConfig_FromFixture()
    {
        var config = PreprocessConfig.FromHuggingFace(Fixtures.Path("vit-tiny", "hf", "preprocessor_config.json"));
        Assert.Equal(64, config.Size);
        Assert.Equal(64, config.CropSize);
        Assert.Equal(ResizeMode.Shortest, config.ResizeMode);
        Assert.Equal(ResampleFilter.Bicubic, config.Interpolation);
        Assert.Equal(PipelineConvention.HuggingFace, config.Convention);
        Assert.Equal(PreprocessConfig.ClipMean, config.Mean);
        Assert.Equal(PreprocessConfig.ClipStd, config.Std);
    }

    [Fact]
    public void HuggingFaceConfig_BadValues_NameTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"clipsharp-hf-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """{"size": {"shortest_edge": 224}, "resample": 9}""");
            var e = Assert.Throws<InvalidDataException>(() => PreprocessConfig.FromHuggingFace(path));
            Assert.Contains(path, e.Message);
            File.WriteAllText(path, "{not json");
            Assert.Throws<InvalidDataException>(() => PreprocessConfig.FromHuggingFace(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Config_Validates()
    {
        Assert.Throws<ArgumentException>(() => new PreprocessConfig(0));
        Assert.Throws<ArgumentException>(() => new PreprocessConfig(8, mean: [0.5f, 0.5f]));
        Assert.Throws<ArgumentException>(() => new PreprocessConfig(8, std: [1f, 0f, 1f]));
        Assert.Throws<ArgumentException>(() => PreprocessConfig.FromOpenClip(8, interpolation: "cubic"));
    }
}
