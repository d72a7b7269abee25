using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.IO;
using ClipSharp.Models.Siglip;
using ClipSharp.Tensors;
using ClipSharp.Testing;
using ClipSharp.Text.SentencePiece;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// `embed` and `classify` on the SigLIP FixRes fixture (tests/ClipSharp.Tests/data/siglip, tokenizer from
/// tests/reference/make_siglip_tokenizer.py) through the same --model entry point as CLIP.
/// </summary>
[Collection("Console")]
public class SiglipCommandTests
{
    internal static readonly string[] Images = ["square", "wide", "tall", "rocket"];

    internal static string Dir(string name)
    {
        var dir = Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Tests", "data", "siglip", name);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"SigLIP fixture missing: {dir} (regenerate with /usr/bin/python3 tests/reference/siglip_ref.py)");
        if (name != "images" && !File.Exists(Path.Combine(dir, "spiece.model")))
            throw new FileNotFoundException($"SigLIP fixture tokenizer missing in {dir} (regenerate with /usr/bin/python3 tests/reference/make_siglip_tokenizer.py)");
        return dir;
    }

    internal static string ImagePath(string name) => Path.Combine(Dir("images"), name + ".png");

    /// <summary>The model's own probabilities, without the pipeline, the CLI or the classifier: (images, labels).</summary>
    private static float[] DirectProbabilities(string dir, IReadOnlyList<string> prompts)
    {
        var model = SiglipModel.Load(dir);
        var tok = SiglipTokenizer.FromDirectory(dir);
        var ctx = new ComputeContext(1);
        int l = model.Config.Text.ContextLength;
        var ids = new int[prompts.Count * l];
        for (int i = 0; i < prompts.Count; i++) tok.EncodeRow(prompts[i], ids.AsSpan(i * l, l), truncate: true);
        var pre = new Preprocessor(PreprocessConfig.FromHuggingFace(Path.Combine(dir, "preprocessor_config.json")));
        var pixels = new Tensor(Images.Length, 3, model.Config.Vision.ImageSize, model.Config.Vision.ImageSize);
        for (int i = 0; i < Images.Length; i++)
            pre.Preprocess(ImageDecoder.Decode(ImagePath(Images[i])), pixels.Span.Slice(i * pre.OutputLength, pre.OutputLength));
        var logits = model.Logits(ctx, model.EncodeImage(ctx, pixels), model.EncodeText(ctx, ids, prompts.Count));
        return SiglipModel.Probabilities(logits).Span.ToArray();
    }

    [Fact]
    public void ClassifyPrintsEachLabelsSigmoidProbabilityAsTheModelComputesIt()
    {
        using var tmp = new CliHarness.TempDir();
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", tmp.Path);
        try
        {
            var dir = Dir("siglip-fixres");
            string[] labels = ["cat", "rocket", "astronaut", "coffee cup"];
            var expected = DirectProbabilities(dir, labels.Select(l => $"a photo of a {l}.").ToArray());
            var (code, stdout, err) = CliHarness.Run(["classify", .. Images.Select(ImagePath), "--model", dir,
                "--labels", string.Join(",", labels), "--templates", "single", "--json", "--top", "4"]);
            Assert.True(code == 0, err);
            var lines = stdout.Trim().Split('\n');
            Assert.Equal(Images.Length, lines.Length);
            bool anyRowOffOne = false;
            for (int i = 0; i < Images.Length; i++)
            {
                var row = JsonDocument.Parse(lines[i]).RootElement;
                Assert.EndsWith(Images[i] + ".png", row.GetProperty("image").GetString());
                Assert.Equal("sigmoid", row.GetProperty("scoring").GetString());
                var probs = row.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.Equal(labels.Length, probs.Length);
                for (int k = 0; k < labels.Length; k++)
                    Assert.True(Math.Abs(probs[k] - expected[i * labels.Length + k]) <= 1e-5,
                        $"{Images[i]} / {labels[k]}: CLI {probs[k]} vs model {expected[i * labels.Length + k]}");
                anyRowOffOne |= Math.Abs(probs.Sum() - 1) > 1e-3;
            }
            Assert.True(anyRowOffOne, "sigmoid rows all summed to 1: looks like a softmax");

            // Text output says which probabilities these are and prints the same numbers (P2).
            var (code2, text, err2) = CliHarness.Run(["classify", ImagePath("square"), "--model", dir,
                "--labels", string.Join(",", labels), "--templates", "single", "--top", "4"]);
            Assert.True(code2 == 0, err2);
            Assert.Contains("sigmoid, independent per label", text);
            foreach (var (label, k) in labels.Select((l, k) => (l, k)))
                Assert.Contains($"{expected[k],7:P2}  {label}", text);
        }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null); }
    }

    [Fact]
    public void EmbedOnReferenceInputsReproducesTheReferenceLogits()
    {
        using var tmp = new CliHarness.TempDir();
        var dir = Dir("siglip-fixres");
        var expected = Path.Combine(dir, "expected.safetensors");
        var outPath = tmp.File("out.safetensors");
        var (code, _, err) = CliHarness.Run(["embed", "--model", dir, "--pixels", expected + ":pixel_values",
            "--tokens", expected + ":input_ids", "--out", outPath]);
        Assert.True(code == 0, err);
        using var got = SafetensorsFile.Open(outPath);
        using var want = SafetensorsFile.Open(expected);
        var (a, b) = (got.ReadTensor("logits_per_image"), want.ReadTensor("logits_per_image"));
        Assert.Equal(b.Shape, a.Shape);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a.Span[i] - b.Span[i]) <= 1e-4 * Math.Max(1, Math.Abs(b.Span[i])), $"logit {i}: {a.Span[i]} vs {b.Span[i]}");
    }

    [Fact]
    public void EmbedTextsAndImagesMatchTheModelsOwnProbabilities()
    {
        using var tmp = new CliHarness.TempDir();
        var dir = Dir("siglip-fixres");
        string[] texts = ["a photo of a rocket", "A Red Car!"];
        var outPath = tmp.File("out.safetensors");
        var (code, _, err) = CliHarness.Run(["embed", "--model", dir, "--images", .. Images.Select(ImagePath),
            "--text", texts[0], "--text", texts[1], "--out", outPath]);
        Assert.True(code == 0, err);
        using var got = SafetensorsFile.Open(outPath);
        var probs = SiglipModel.Probabilities(got.ReadTensor("logits_per_image")).Span.ToArray();
        var expected = DirectProbabilities(dir, texts);
        Assert.Equal(expected.Length, probs.Length);
        for (int i = 0; i < probs.Length; i++) Assert.True(Math.Abs(probs[i] - expected[i]) <= 1e-5, $"{i}: {probs[i]} vs {expected[i]}");
    }

    [Fact]
    public void TagThresholdsEachLabelsSigmoidProbability()
    {
        using var tmp = new CliHarness.TempDir();
        var dir = Dir("siglip-fixres");
        string[] labels = ["a photo of a cat", "a photo of a rocket", "a red car"];
        var expected = DirectProbabilities(dir, labels);
        // A threshold between the probabilities: some pairs pass, some do not, and only by their own sigmoid.
        var sorted = expected.Order().ToArray();
        float t = (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        var labelsFile = tmp.File("labels.txt");
        File.WriteAllLines(labelsFile, labels);
        var (code, stdout, err) = CliHarness.Run(["tag", .. Images.Select(ImagePath), "--model", dir, "--labels-file", labelsFile,
            "--threshold", t.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "--json"]);
        Assert.True(code == 0, err);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal(Images.Length, lines.Length);
        for (int i = 0; i < Images.Length; i++)
        {
            var row = JsonDocument.Parse(lines[i]).RootElement;
            Assert.Equal("sigmoid", row.GetProperty("scoring").GetString());
            var tags = row.GetProperty("tags").EnumerateArray().Select(x => x.GetProperty("label").GetString()!).ToHashSet();
            for (int k = 0; k < labels.Length; k++)
            {
                float p = expected[i * labels.Length + k];
                Assert.True(Math.Abs(row.GetProperty("scores").GetProperty(labels[k]).GetSingle() - p) <= 1e-5, $"{Images[i]} / {labels[k]}");
                Assert.Equal(p >= t, tags.Contains(labels[k]));
            }
        }
    }

    [Fact]
    public void IndexSearchAndDupesWorkOnASiglipModelByCosine()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        Directory.CreateDirectory(root);
        foreach (var name in Images) File.Copy(ImagePath(name), Path.Combine(root, name + ".png"));
        File.Copy(ImagePath("wide"), Path.Combine(root, "wide-copy.png"));
        var dir = Dir("siglip-fixres");
        var (code, stdout, err) = CliHarness.Run("index", root, "--model", dir);
        Assert.True(code == 0, err);
        Assert.Contains($"{Images.Length + 1} added", stdout);
        var (code2, hits, err2) = CliHarness.Run("search", "--dir", root, "--image", Path.Combine(root, "rocket.png"), "--top", "2", "--json");
        Assert.True(code2 == 0, err2);
        var first = JsonDocument.Parse(hits.Split('\n')[0]).RootElement;
        Assert.Equal("rocket.png", first.GetProperty("path").GetString());
        Assert.True(first.GetProperty("score").GetSingle() > 0.999f);
        var (code3, textHits, err3) = CliHarness.Run("search", "a photo of a rocket", "--dir", root, "--top", "10", "--json");
        Assert.True(code3 == 0, err3);
        var scores = textHits.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(Images.Length + 1, scores.Length);
        Assert.Equal(scores.OrderByDescending(x => x), scores);
        Assert.All(scores, x => Assert.InRange(x, -1.0001f, 1.0001f));
        // The exact copy is the one duplicate group.
        var (code4, dupes, err4) = CliHarness.Run("dupes", "--dir", root, "--threshold", "0.999");
        Assert.True(code4 == 0, err4);
        Assert.Contains("wide-copy.png", dupes);
        Assert.DoesNotContain("rocket.png", dupes);
    }
}
