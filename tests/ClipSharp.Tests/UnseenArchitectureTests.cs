using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>
/// Parity on architectures the shared fixtures do not cover (other widths, depths, head counts,
/// patch sizes, resolutions, ResNet stage depths, exact GELU, short contexts, small vocabularies).
/// References come from data/make_unseen_fixtures.py, an independent PyTorch implementation.
/// </summary>
public class UnseenArchitectureTests
{
    public static TheoryData<string> Models => new() { "vit-b3-p14", "vit-gelu-p4", "rn-2121", "rn-1211", "rn-2121-w32", "rn-1211-w24" };

    private static string Dir(string name)
    {
        var dir = Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Tests", "data", "unseen", name);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"unseen-architecture fixture missing: {dir}");
        return dir;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void FeaturesAndLogitsMatchIndependentPyTorchModel(string name)
    {
        var dir = Dir(name);
        var config = ModelConfigs.FromOpenClipFile(Path.Combine(dir, "config.json"));
        var sd = TestSafetensors.StateDict(Path.Combine(dir, "model.safetensors"));
        var model = ClipModel.FromStateDict(sd, config);
        var expected = Path.Combine(dir, "expected.safetensors");
        var pixels = TestSafetensors.Tensor(expected, "pixel_values");
        var tokens = TestSafetensors.Ints(expected, "tokens");
        var ctx = new ComputeContext(2);
        var image = model.EncodeImage(ctx, pixels);
        var text = model.EncodeText(ctx, tokens, tokens.Length / config.Text.ContextLength);
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, "image_features"), image, 1e-4);
        ModelParityTests.AssertRowsClose(TestSafetensors.Tensor(expected, "text_features"), text, 1e-4);
        var logits = model.Logits(ctx, image, text);
        var refLogits = TestSafetensors.Tensor(expected, "logits_per_image");
        for (int i = 0; i < logits.Length; i++)
            Assert.True(Math.Abs(logits.Span[i] - refLogits.Span[i]) <= 1e-3, $"logit {i}: {logits.Span[i]} vs {refLogits.Span[i]}");
    }

    /// <summary>
    /// Every intermediate the debug taps expose (embeddings, each residual block, each ResNet stage,
    /// the final norms) against the same stage of the PyTorch model, so a regression names its layer.
    /// The text tower computes only up to the latest end-of-text position: compare those positions.
    /// </summary>
    [Theory]
    [MemberData(nameof(Models))]
    public void EveryStageMatchesTheReference(string name)
    {
        var dir = Dir(name);
        var config = ModelConfigs.FromOpenClipFile(Path.Combine(dir, "config.json"));
        var model = ClipModel.FromStateDict(TestSafetensors.StateDict(Path.Combine(dir, "model.safetensors")), config);
        var expected = Path.Combine(dir, "expected.safetensors");
        var stages = TestSafetensors.Read(Path.Combine(dir, "stages.safetensors"));
        var seen = new Dictionary<string, Tensor>();
        var ctx = new ComputeContext(2) { Tap = (tap, t) => seen[tap] = t.Clone() };
        model.EncodeImage(ctx, TestSafetensors.Tensor(expected, "pixel_values"));
        var tokens = TestSafetensors.Ints(expected, "tokens");
        model.EncodeText(ctx, tokens, tokens.Length / config.Text.ContextLength);
        Assert.Equal(stages.Keys.Order(), seen.Keys.Order());
        foreach (var (stage, (dtype, shape, bytes)) in stages)
        {
            var reference = new Tensor(TestSafetensors.Floats(dtype, bytes), shape);
            var ours = seen[stage];
            if (ours.Rank == 3 && ours.Shape[1] < reference.Shape[1])   // text positions after the last end-of-text
                reference = Crop(reference, ours.Shape[1]);
            double diff = 0, norm = 0;
            Assert.True(reference.Length == ours.Length, $"{stage}: {ours.ShapeString} vs reference {reference.ShapeString}");
            for (int i = 0; i < ours.Length; i++)
            {
                diff += Math.Pow(ours.Span[i] - reference.Span[i], 2);
                norm += Math.Pow(reference.Span[i], 2);
            }
            Assert.True(Math.Sqrt(diff / norm) < 1e-5, $"{name} stage {stage}: relative error {Math.Sqrt(diff / norm):E2}");
        }
    }

    private static Tensor Crop(Tensor t, int tokens)
    {
        int b = t.Shape[0], c = t.Shape[2];
        var result = new Tensor(b, tokens, c);
        for (int n = 0; n < b; n++) t.Span.Slice(n * t.Shape[1] * c, tokens * c).CopyTo(result.Span.Slice(n * tokens * c));
        return result;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ArchitectureInferredFromShapesMatchesConfig(string name)
    {
        var dir = Dir(name);
        var config = ModelConfigs.FromOpenClipFile(Path.Combine(dir, "config.json"));
        var inferred = ModelConfigs.InferFromStateDict(TestSafetensors.StateDict(Path.Combine(dir, "model.safetensors")), config.Activation);
        Assert.Equal(config, inferred);
    }
}
