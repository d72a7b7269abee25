using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.IO;
using ClipSharp.Models.Siglip;
using ClipSharp.Pretrained;
using ClipSharp.Tensors;
using ClipSharp.Text.SentencePiece;
using ClipSharp.Training;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// `train --loss siglip --model DIR` on the SigLIP FixRes fixture end to end: its own tokenizer and preprocessing,
/// a Hugging Face checkpoint directory that `--model` and ClipPipeline.FromPretrained load, and `--resume`.
/// </summary>
[Collection("Console")]
public class SiglipTrainCommandTests
{
    /// <summary>class folder → fixture image: an ImageFolder of four pairs whose captions come from the single template.</summary>
    private static readonly (string Label, string Image)[] Classes = [("astronaut", "square"), ("coffee", "wide"), ("person", "tall"), ("rocket", "rocket")];

    private static string ImageFolder(CliHarness.TempDir tmp)
    {
        var root = tmp.File("data");
        foreach (var (label, image) in Classes)
        {
            Directory.CreateDirectory(Path.Combine(root, label));
            File.Copy(SiglipCommandTests.ImagePath(image), Path.Combine(root, label, image + ".png"));
        }
        return root;
    }

    /// <summary>The sigmoid loss of the untrained fixture on the four pairs, computed by the library from the model's own tokenizer and preprocessing.</summary>
    private static double LibraryLoss(string dir)
    {
        var model = SiglipModel.Load(dir);
        var tok = SiglipTokenizer.FromDirectory(dir);
        var pre = new Preprocessor(PreprocessConfig.FromHuggingFace(Path.Combine(dir, "preprocessor_config.json")));
        int l = model.Config.Text.ContextLength, r = model.Config.Vision.ImageSize;
        var pixels = new Tensor(Classes.Length, 3, r, r);
        var ids = new int[Classes.Length * l];
        for (int i = 0; i < Classes.Length; i++)
        {
            pre.Preprocess(ImageDecoder.Decode(SiglipCommandTests.ImagePath(Classes[i].Image)), pixels.Span.Slice(i * pre.OutputLength, pre.OutputLength));
            tok.EncodeRow($"a photo of a {Classes[i].Label}.", ids.AsSpan(i * l, l), truncate: true);
        }
        return new ClipTrainer(model, new TrainingOptions { Loss = LossKind.SigLip }, new ComputeContext(1)).Loss(pixels, ids);
    }

    private static double[] Losses(string run) =>
        File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("loss", out _)).Select(e => e.GetProperty("loss").GetDouble()).ToArray();

    [Fact]
    public void FineTunesASiglipModelSavesAHuggingFaceDirectoryThatLoadsAndEmbedsAndResumes()
    {
        using var tmp = new CliHarness.TempDir();
        var fixture = SiglipCommandTests.Dir("siglip-fixres");
        var data = ImageFolder(tmp);
        var run = tmp.File("run");
        string[] common = ["train", "--data", data, "--model", fixture, "--loss", "siglip", "--out", run, "--batch", "4", "--warmup", "1",
            "--lr", "1e-4", "--threads", "2", "--templates", "single", "--save-every", "0"];

        var (code, stdout, stderr) = CliHarness.Run([.. common, "--steps", "3"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("SigLIP FixRes 32px", stdout);
        Assert.Contains("sigmoid loss", stdout);
        Assert.Contains("step 3/3", stdout);
        Assert.Contains("Hugging Face SigLIP directory", stdout);

        // The first step's loss is the library's sigmoid loss on these pairs with the model's own tokenizer and
        // preprocessing (CLIP's would give other pixels and out-of-vocabulary ids); training lowers it.
        var losses = Losses(run);
        Assert.Equal(3, losses.Length);
        double expected = LibraryLoss(fixture);
        Assert.True(Math.Abs(losses[0] - expected) <= 1e-5 * expected, $"step 1 loss {losses[0]} vs the library's {expected}");
        Assert.True(losses[1] < losses[0] && losses[2] < losses[1], $"losses did not fall: {string.Join(", ", losses)}");

        // The checkpoint is a Hugging Face SigLIP directory: weights under HF names plus the source's companion files.
        var checkpoint = Path.Combine(run, "checkpoint");
        foreach (var file in new[] { "model.safetensors", "config.json", "preprocessor_config.json", "spiece.model", "tokenizer_config.json" })
            Assert.True(File.Exists(Path.Combine(checkpoint, file)), $"checkpoint lacks {file}");
        Assert.Equal(File.ReadAllText(Path.Combine(fixture, "config.json")), File.ReadAllText(Path.Combine(checkpoint, "config.json")));
        using (var state = SafetensorsFile.Open(Path.Combine(checkpoint, "optimizer.safetensors")))
            Assert.False(state.Contains("logit_bias"), "the model's own logit_bias belongs in model.safetensors, not the optimiser state");

        var original = SiglipModel.Load(fixture);
        var pipeline = ClipPipeline.FromPretrained(checkpoint, new PipelineOptions { Context = new ComputeContext(1) });
        var trained = Assert.IsType<SiglipModel>(pipeline.Encoder);
        Assert.Equal(original.Parameters.Select(kv => kv.Key), trained.Parameters.Select(kv => kv.Key));
        int changed = original.Parameters.Zip(trained.Parameters).Count(p => !p.First.Value.Span.SequenceEqual(p.Second.Value.Span));
        Assert.True(changed >= original.Parameters.Count - 4, $"only {changed} of {original.Parameters.Count} parameters changed");
        Assert.NotEqual(original.Bias, trained.Bias);

        // `--model CHECKPOINT` embeds with the trained weights: the CLI's logits are the trained pipeline's, not the fixture's.
        var images = Classes.Select(c => SiglipCommandTests.ImagePath(c.Image)).ToArray();
        string[] texts = ["a photo of a rocket.", "a photo of a coffee."];
        var outPath = tmp.File("embed.safetensors");
        (code, _, stderr) = CliHarness.Run(["embed", "--model", checkpoint, "--images", .. images, "--text", texts[0], "--text", texts[1], "--out", outPath]);
        Assert.True(code == 0, stderr);
        Tensor cli;
        using (var got = SafetensorsFile.Open(outPath)) cli = got.ReadTensor("logits_per_image");
        var ours = pipeline.Score(pipeline.EncodeImageFiles(images).Features!, pipeline.EncodeTexts(texts));
        var before = ClipPipeline.FromPretrained(fixture, new PipelineOptions { Context = new ComputeContext(1) });
        var untrained = before.Score(before.EncodeImageFiles(images).Features!, before.EncodeTexts(texts));
        Assert.Equal(ours.Shape, cli.Shape);
        double moved = 0;
        for (int i = 0; i < cli.Length; i++)
        {
            Assert.True(Math.Abs(cli.Span[i] - ours.Span[i]) <= 1e-4 * Math.Max(1, Math.Abs(ours.Span[i])), $"logit {i}: CLI {cli.Span[i]} vs pipeline {ours.Span[i]}");
            moved = Math.Max(moved, Math.Abs(cli.Span[i] - untrained.Span[i]));
        }
        Assert.True(moved > 1e-3, $"the checkpoint's logits are the untrained model's (largest change {moved:E2})");

        // --resume continues from the checkpoint (its logit_bias comes back from model.safetensors).
        (code, stdout, stderr) = CliHarness.Run([.. common, "--steps", "4", "--resume"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("resumed from", stdout);
        Assert.Contains("step 4/4", stdout);
        Assert.DoesNotContain("step 1/4", stdout);
        losses = Losses(run);
        Assert.Equal(4, losses.Length);
        Assert.True(losses[3] < losses[2], $"the resumed step did not continue the descent: {string.Join(", ", losses)}");
    }

    [Fact]
    public void NaFlexTrainingIsRefusedWithOneLine()
    {
        using var tmp = new CliHarness.TempDir();
        var (code, _, stderr) = CliHarness.Run("train", "--data", ImageFolder(tmp), "--model", SiglipCommandTests.Dir("siglip2-naflex"),
            "--out", tmp.File("run"), "--batch", "4", "--steps", "1");
        Assert.Equal(2, code);
        Assert.Contains("NaFlex", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
