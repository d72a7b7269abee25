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
        Assert.Contains($"{Images.Length} added", stdout);
        Assert.Contains("1 copied", stdout);      // wide-copy.png: the same content, its embedding copied
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

    [Fact]
    public void EvalZeroShotRanksByTheModelsOwnLogits()
    {
        using var tmp = new CliHarness.TempDir();
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", tmp.Path);
        try
        {
            var dir = Dir("siglip-fixres");
            // Two images per class, so the report's accuracy, confusion and per-class counts all mean something.
            (string Label, string[] Images)[] classes = [("astronaut", ["square", "tall"]), ("coffee cup", ["wide"]), ("rocket", ["rocket", "wide"])];
            var data = tmp.File("data");
            foreach (var (label, images) in classes)
            {
                var folder = Path.Combine(data, label.Replace(' ', '_'));
                Directory.CreateDirectory(folder);
                foreach (var image in images) File.Copy(ImagePath(image), Path.Combine(folder, image + ".png"));
            }
            var labels = classes.Select(c => c.Label).ToArray();
            var report = tmp.File("report");
            var (code, stdout, err) = CliHarness.Run("eval", "zeroshot", "--model", dir, "--data", data, "--templates", "single", "--out", report);
            Assert.True(code == 0, err);
            Assert.Contains("ranked by SigLIP logits", stdout);

            // The expected prediction for each image: argmax over the labels of the model's own logits, computed directly.
            var probs = DirectProbabilities(dir, labels.Select(l => $"a photo of a {l}.").ToArray());   // (Images, labels), monotone in the logits
            var expected = new int[labels.Length, labels.Length];
            int correct = 0, samples = 0;
            for (int truth = 0; truth < classes.Length; truth++)
                foreach (var image in classes[truth].Images)
                {
                    int row = Array.IndexOf(Images, image), best = 0;
                    for (int k = 1; k < labels.Length; k++)
                        if (probs[row * labels.Length + k] > probs[row * labels.Length + best]) best = k;
                    expected[truth, best]++;
                    if (best == truth) correct++;
                    samples++;
                }
            var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "report.json"))).RootElement.GetProperty("result");
            Assert.Equal(samples, result.GetProperty("samples").GetInt32());
            Assert.Equal((double)correct / samples, result.GetProperty("top1").GetDouble(), 6);
            var confusion = result.GetProperty("confusion").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
            for (int t = 0; t < labels.Length; t++)
                for (int p = 0; p < labels.Length; p++)
                    Assert.True(expected[t, p] == confusion[t][p], $"confusion[{labels[t]}, {labels[p]}]: report {confusion[t][p]}, model {expected[t, p]}");
            Assert.True(File.Exists(Path.Combine(report, "confusion.svg")));
        }
        finally { Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null); }
    }

    [Fact]
    public async Task ServeAnswersApiSearchOnASiglipIndexWithTheModelsCosines()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        Directory.CreateDirectory(root);
        foreach (var name in Images) File.Copy(ImagePath(name), Path.Combine(root, name + ".png"));
        var dir = Dir("siglip-fixres");
        var (code, _, err) = CliHarness.Run("index", root, "--model", dir);
        Assert.True(code == 0, err);

        // What the scores must be: the cosine of each image's SigLIP embedding with the query's, from the model directly.
        const string query = "a photo of a rocket";
        var pipeline = ClipPipeline.FromPretrained(dir, new ClipSharp.Pretrained.PipelineOptions { Context = new ComputeContext(1) });
        var paths = Images.Select(n => Path.Combine(root, n + ".png")).ToArray();
        var cosine = pipeline.Cosine(pipeline.EncodeImageFiles(paths).Features!, pipeline.EncodeTexts([query])).Span.ToArray();
        var expected = Images.Select((n, i) => (Path: n + ".png", Score: cosine[i])).OrderByDescending(h => h.Score).ToArray();

        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "ClipSharp.Cli.dll"), "serve", "--dir", root, "--port", "0", "--threads", "1" })
            psi.ArgumentList.Add(a);
        using var server = System.Diagnostics.Process.Start(psi)!;
        try
        {
            var stderr = server.StandardError.ReadToEndAsync();
            string? url = null;
            while (url is null && await server.StandardOutput.ReadLineAsync() is { } line)
                if (line.StartsWith("serving ", StringComparison.Ordinal)) url = line[(line.IndexOf(" at ", StringComparison.Ordinal) + 4)..].Split(' ')[0];
            if (url is null) Assert.Fail($"serve did not start: {await stderr}");
            using var http = new HttpClient { BaseAddress = new Uri(url!) };

            var info = JsonDocument.Parse(await http.GetStringAsync("/api/info")).RootElement;
            Assert.Equal(Images.Length, info.GetProperty("images").GetInt32());
            Assert.Equal(pipeline.Encoder.EmbedDim, info.GetProperty("dimension").GetInt32());

                var hits = JsonDocument.Parse(await http.GetStringAsync("/api/search?q=" + Uri.EscapeDataString(query) + "&k=10")).RootElement;
            Assert.Equal(expected.Length, hits.GetArrayLength());
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.Equal(expected[i].Path, hits[i].GetProperty("path").GetString());
                float score = hits[i].GetProperty("score").GetSingle();
                // The index keeps unit vectors as float16: each component within 2⁻¹¹ of itself, so by Cauchy–Schwarz the
                // cosine moves by at most 2⁻¹¹ (4.9e-4); the fixture's cosines are 1e-2 apart, so the order is the model's.
                Assert.True(Math.Abs(score - expected[i].Score) <= 5e-4, $"{expected[i].Path}: served {score}, model cosine {expected[i].Score}");
            }

                // An uploaded image finds itself first.
            var upload = await http.PostAsync("/api/search/image?k=2", new ByteArrayContent(File.ReadAllBytes(ImagePath("wide"))));
            var byImage = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("wide.png", byImage[0].GetProperty("path").GetString());
            Assert.True(byImage[0].GetProperty("score").GetSingle() > 0.999f);
        }
        finally
        {
                server.Kill(entireProcessTree: true);
            server.WaitForExit(30_000);
        }
    }
}
