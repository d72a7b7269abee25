using System.Text.Json;
using ClipSharp.IO;
using ClipSharp.Models;
using static ClipSharp.Cli.Tests.SiglipCommandTests;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// The SigLIP 2 NaFlex fixture through the same commands as any model: images at their own aspect ratio within
/// the checkpoint's patch budget (preprocessor_config.json), embeddings as the reference computes them.
/// </summary>
[Collection("Console")]
public class NaFlexCommandTests
{
    [Fact]
    public void EmbedGivesTheReferenceImageEmbeddingsAndSigmoidLogits()
    {
        using var tmp = new CliHarness.TempDir();
        var dir = Dir("siglip2-naflex");
        var outPath = tmp.File("out.safetensors");
        var (code, _, err) = CliHarness.Run(["embed", "--model", dir, "--images", .. Images.Select(ImagePath), "--text", "a photo of a rocket", "--out", outPath]);
        Assert.True(code == 0, err);
        using var got = SafetensorsFile.Open(outPath);
        using var want = SafetensorsFile.Open(Path.Combine(dir, "expected.safetensors"));
        var features = got.ReadTensor("image_features");
        var expected = want.ReadTensor("image_embeds_16");   // the fixture's budget: max_num_patches 16
        Assert.Equal(expected.Shape, features.Shape);
        var a = ClipModel.Normalized(features).Span.ToArray();
        var b = ClipModel.Normalized(expected).Span.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-4, $"value {i}: {a[i]} vs {b[i]}");
        Assert.Equal([Images.Length, 1], got.ReadTensor("logits_per_image").Shape);
    }

    [Fact]
    public void ClassifyIndexAndSearchRunOnANaFlexModel()
    {
        using var tmp = new CliHarness.TempDir();
        var dir = Dir("siglip2-naflex");
        var (code, stdout, err) = CliHarness.Run(["classify", .. Images.Select(ImagePath), "--model", dir, "--labels", "a rocket,a square,a cat", "--json"]);
        Assert.True(code == 0, err);
        var rows = stdout.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(Images.Length, rows.Length);

        var root = tmp.File("photos");
        Directory.CreateDirectory(root);
        foreach (var name in Images) File.Copy(ImagePath(name), Path.Combine(root, name + ".png"));
        var (c2, indexed, e2) = CliHarness.Run("index", root, "--model", dir);
        Assert.True(c2 == 0, e2);
        Assert.Contains($"{Images.Length} added", indexed);
        foreach (var name in Images)
        {
            var (c3, hits, e3) = CliHarness.Run("search", "--dir", root, "--image", ImagePath(name), "--top", "1", "--json");
            Assert.True(c3 == 0, e3);
            var first = JsonDocument.Parse(hits.Trim()).RootElement;
            Assert.Equal(name + ".png", first.GetProperty("path").GetString());
            Assert.True(first.GetProperty("score").GetSingle() > 0.999f);
        }
    }

    [Fact]
    public void PixelTensorsAreRefusedInOneLine()
    {
        using var tmp = new CliHarness.TempDir();
        var dir = Dir("siglip2-naflex");
        var (code, _, err) = CliHarness.Run(["embed", "--model", dir, "--pixels", Path.Combine(dir, "expected.safetensors") + ":pixel_values_16", "--out", tmp.File("o.safetensors")]);
        Assert.Equal(2, code);
        Assert.Contains("NaFlex", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
