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
    public static TheoryData<string> Models => new() { "vit-b3-p14", "vit-gelu-p4", "rn-2121", "rn-1211" };

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
