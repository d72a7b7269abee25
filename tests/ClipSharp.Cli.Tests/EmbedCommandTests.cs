using ClipSharp.IO;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp embed`, `info` and `init` end to end, in process.</summary>
[Collection("Console")]
public class EmbedCommandTests
{
    [Theory]
    [InlineData("vit-tiny", "openai/model_jit.pt")]
    [InlineData("rn-tiny", "openai/model.pt")]
    public void EmbedFromPixelsAndTokensMatchesTheReference(string fixture, string checkpoint)
    {
        using var tmp = new CliHarness.TempDir();
        var expected = Fixtures.Path(fixture, "expected.safetensors");
        var output = tmp.File("features.safetensors");
        var (code, _, err) = CliHarness.Run("embed", "--model", Fixtures.Path([fixture, .. checkpoint.Split('/')]),
            "--pixels", expected + ":pixel_values", "--tokens", expected, "--out", output, "--batch", "5");
        Assert.True(code == 0, err);
        using var ours = SafetensorsFile.Open(output);
        using var reference = SafetensorsFile.Open(expected);
        foreach (var name in new[] { "image_features", "text_features" })
        {
            var a = ours.ReadFloat32(name);
            var b = reference.ReadFloat32(name);
            Assert.Equal(reference.Shape(name), ours.Shape(name));
            double diff = Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());
            double norm = Math.Sqrt(b.Sum(x => (double)x * x));
            Assert.True(diff / norm < 1e-4, $"{name}: relative error {diff / norm}");
        }
        var logits = ours.ReadFloat32("logits_per_image");
        var refLogits = reference.ReadFloat32("logits_per_image");
        Assert.True(logits.Zip(refLogits, (x, y) => Math.Abs(x - y)).Max() < 1e-3);
    }

    [Fact]
    public void NormalizedNpyAndJsonlOutputs()
    {
        using var tmp = new CliHarness.TempDir();
        var expected = Fixtures.Path("vit-tiny", "expected.safetensors");
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var npy = tmp.File("img.npy");
        Assert.Equal(0, CliHarness.Run("embed", "--model", model, "--pixels", expected, "--normalize", "--out", npy).Code);
        var bytes = File.ReadAllBytes(npy);
        Assert.Equal("\x93NUMPY", System.Text.Encoding.Latin1.GetString(bytes, 0, 6));
        int headerLen = BitConverter.ToUInt16(bytes, 8);
        Assert.Contains("'shape': (14, 64)", System.Text.Encoding.ASCII.GetString(bytes, 10, headerLen));
        Assert.Equal(0, (10 + headerLen) % 64);
        var first = Enumerable.Range(0, 64).Select(i => BitConverter.ToSingle(bytes, 10 + headerLen + 4 * i)).ToArray();
        Assert.Equal(1.0, Math.Sqrt(first.Sum(v => (double)v * v)), 5);

        var jsonl = tmp.File("all.jsonl");
        Assert.Equal(0, CliHarness.Run("embed", "--model", model, "--pixels", expected, "--tokens", expected, "--out", jsonl).Code);
        var lines = File.ReadAllLines(jsonl);
        Assert.Equal(14 + 20, lines.Length);
        Assert.Contains("\"kind\":\"text\"", lines[^1]);
    }

    [Fact]
    public void BadInputsAreOneLineWithExitCode2()
    {
        using var tmp = new CliHarness.TempDir();
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var rnPixels = Fixtures.Path("rn-tiny", "expected.safetensors");
        var bogus = tmp.File("bogus.safetensors");
        File.WriteAllBytes(bogus, [1, 2, 3]);
        foreach (var args in new[]
        {
            new[] { "embed", "--model", bogus, "--pixels", rnPixels, "--out", tmp.File("o.safetensors") },
            new[] { "embed", "--model", model, "--pixels", tmp.File("missing.safetensors"), "--out", tmp.File("o.safetensors") },
            new[] { "embed", "--model", model, "--pixels", rnPixels, "--out", tmp.File("o.txt") },
            new[] { "info", "--model", tmp.File("nothing-here") },
        })
        {
            var (code, _, err) = CliHarness.Run(args);
            Assert.Equal(2, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.StartsWith("clipsharp: error:", err);
        }
    }

    [Fact]
    public void InitThenInfoDescribeTheSameArchitecture()
    {
        using var tmp = new CliHarness.TempDir();
        var cfg = tmp.File("tiny.json");
        File.WriteAllText(cfg, """{"embed_dim": 32, "quick_gelu": true, "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 8}, "text_cfg": {"context_length": 16, "vocab_size": 100, "width": 64, "heads": 1, "layers": 1}}""");
        var weights = tmp.File("tiny.safetensors");
        var (code, stdout, err) = CliHarness.Run("init", "--arch", cfg, "--seed", "3", "--out", weights, "--dtype", "f16");
        Assert.True(code == 0, err);
        var (code2, info, err2) = CliHarness.Run("info", "--model", weights);
        Assert.True(code2 == 0, err2);
        Assert.Contains("ViT 32px patch 8, width 64, 1 layers, 1 heads", info);
        Assert.Contains("F16", info);
        // Same seed, same weights.
        var again = tmp.File("again.safetensors");
        CliHarness.Run("init", "--arch", cfg, "--seed", "3", "--out", again, "--dtype", "f16");
        Assert.Equal(File.ReadAllBytes(weights), File.ReadAllBytes(again));
    }
}

[Collection("Console")]
public class EmbedTextTests
{
    [Theory]
    [InlineData("vit-tiny", "openai/model.safetensors")]
    [InlineData("vit-tiny", "hf")]
    [InlineData("rn-tiny", "openai/model.safetensors")]
    public void RawTextsGiveTheReferenceTextFeatures(string fixture, string checkpoint)
    {
        using var tmp = new CliHarness.TempDir();
        var output = tmp.File("text.safetensors");
        var (code, _, err) = CliHarness.Run("embed", "--model", Fixtures.Path([fixture, .. checkpoint.Split('/')]),
            "--texts-file", Fixtures.Path(fixture, "texts.json"), "--truncate", "--out", output);
        Assert.True(code == 0, err);
        using var ours = SafetensorsFile.Open(output);
        using var reference = SafetensorsFile.Open(Fixtures.Path(fixture, "expected.safetensors"));
        var a = ours.ReadFloat32("text_features");
        var b = reference.ReadFloat32("text_features");
        int e = ours.Shape("text_features")[1];
        for (int r = 0; r < a.Length / e; r++)
        {
            double diff = 0, norm = 0;
            for (int j = 0; j < e; j++) { diff += Math.Pow(a[r * e + j] - b[r * e + j], 2); norm += Math.Pow(b[r * e + j], 2); }
            Assert.True(Math.Sqrt(diff / norm) < 1e-4, $"text {r}: relative error {Math.Sqrt(diff / norm)}");
        }
    }

    [Fact]
    public void OverlongTextWithoutTruncateIsAClearError()
    {
        using var tmp = new CliHarness.TempDir();
        var (code, _, err) = CliHarness.Run("embed", "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"),
            "--texts-file", Fixtures.Path("vit-tiny", "texts.json"), "--out", tmp.File("t.safetensors"));
        Assert.Equal(2, code);
        Assert.Contains("77", err);
    }
}

[Collection("Console")]
public class EmbedImageTests
{
    [Fact]
    public void ALoneUnreadableImageIsOneErrorLineNamingIt()
    {
        using var tmp = new CliHarness.TempDir();
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var broken = tmp.File("broken.png");
        var other = tmp.File("other.png");
        File.WriteAllBytes(broken, File.ReadAllBytes(Fixtures.Path("vit-tiny", "images", "camera.png"))[..200]);
        File.WriteAllBytes(other, [0x89, 0x50, 0x4E, 0x47]);
        var output = tmp.File("out.jsonl");

        var (code, _, err) = CliHarness.Run("embed", "--model", model, "--images", broken, "--out", output);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, code);
        Assert.True(lines.Length == 1, err);
        Assert.StartsWith($"clipsharp: error: {broken}: ", lines[0]);

        // Several unreadable images: each named on its own line, then the refusal.
        (code, _, err) = CliHarness.Run("embed", "--model", model, "--images", broken, other, "--out", output);
        lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, code);
        Assert.Equal(3, lines.Length);
        Assert.Contains(broken, lines[0]);
        Assert.Contains(other, lines[1]);
        Assert.Equal("clipsharp: error: none of the 2 images could be read", lines[2]);

        // With a text beside it, the image is skipped and the text still embedded.
        (code, _, err) = CliHarness.Run("embed", "--model", model, "--images", broken, "--text", "a cat", "--out", output);
        Assert.True(code == 0, err);
        Assert.StartsWith($"clipsharp: skipped {broken}", err);
        Assert.False(File.Exists(output) && File.ReadAllText(output).Length == 0);
    }

    [Fact]
    public void ImageFilesGiveTheReferenceFeaturesAndCorruptFilesAreSkipped()
    {
        using var tmp = new CliHarness.TempDir();
        var names = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Fixtures.Path("vit-tiny", "expected.json")))
            .RootElement.GetProperty("images").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var images = names.Select(n => Fixtures.Path("vit-tiny", "images", n)).ToList();
        var corrupt = tmp.File("broken.png");
        File.WriteAllBytes(corrupt, File.ReadAllBytes(images[0])[..200]);
        var output = tmp.File("img.safetensors");
        var (code, _, err) = CliHarness.Run(["embed", "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"),
            "--images", .. images, corrupt, "--out", output]);
        Assert.Contains("broken.png", err);
        Assert.Equal(0, code);
        using var ours = SafetensorsFile.Open(output);
        using var reference = SafetensorsFile.Open(Fixtures.Path("vit-tiny", "expected.safetensors"));
        var a = ours.ReadFloat32("image_features");
        var b = reference.ReadFloat32("image_features");
        Assert.Equal([names.Length, 64], ours.Shape("image_features"));
        for (int r = 0; r < names.Length; r++)
        {
            double diff = 0, norm = 0;
            for (int j = 0; j < 64; j++) { diff += Math.Pow(a[r * 64 + j] - b[r * 64 + j], 2); norm += Math.Pow(b[r * 64 + j], 2); }
            Assert.True(Math.Sqrt(diff / norm) < 1e-4, $"{names[r]}: relative error {Math.Sqrt(diff / norm)}");
        }
    }
}
