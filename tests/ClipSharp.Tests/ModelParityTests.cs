using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>Features and logits against the reference fixtures (openai/model.safetensors).</summary>
public class ModelParityTests
{
    public static TheoryData<string> Fixtures_ => new() { "vit-tiny", "rn-tiny" };

    [Theory]
    [MemberData(nameof(Fixtures_))]
    public void ImageTextFeaturesAndLogitsMatchReference(string fixture)
    {
        var model = ClipModel.FromStateDict(TestSafetensors.StateDict(Fixtures.Path(fixture, "openai", "model.safetensors")));
        var expected = Fixtures.Path(fixture, "expected.safetensors");
        var pixels = TestSafetensors.Tensor(expected, "pixel_values");
        var tokens = TestSafetensors.Ints(expected, "tokens");
        var ctx = ComputeContext.Default;

        var image = model.EncodeImage(ctx, pixels);
        var text = model.EncodeText(ctx, tokens, tokens.Length / 77);
        AssertRowsClose(TestSafetensors.Tensor(expected, "image_features"), image, 1e-4);
        AssertRowsClose(TestSafetensors.Tensor(expected, "text_features"), text, 1e-4);

        var logits = model.Logits(ctx, image, text);
        var refLogits = TestSafetensors.Tensor(expected, "logits_per_image");
        Assert.Equal(refLogits.Shape, logits.Shape);
        for (int i = 0; i < logits.Length; i++)
            Assert.True(Math.Abs(logits.Span[i] - refLogits.Span[i]) <= 1e-3, $"logit {i}: {logits.Span[i]} vs {refLogits.Span[i]}");
    }

    [Theory]
    [MemberData(nameof(Fixtures_))]
    public void ResultsDoNotDependOnThreadCount(string fixture)
    {
        var model = ClipModel.FromStateDict(TestSafetensors.StateDict(Fixtures.Path(fixture, "openai", "model.safetensors")));
        var expected = Fixtures.Path(fixture, "expected.safetensors");
        var pixels = TestSafetensors.Tensor(expected, "pixel_values");
        var one = model.EncodeImage(new ComputeContext(1), pixels).Span.ToArray();
        var two = model.EncodeImage(new ComputeContext(3), pixels).Span.ToArray();
        Assert.Equal(one, two);
    }

    internal static void AssertRowsClose(Tensor expected, Tensor actual, double tolerance)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        int e = expected.Shape[^1];
        for (int r = 0; r < expected.Length / e; r++)
        {
            double diff = 0, norm = 0;
            for (int j = 0; j < e; j++)
            {
                double d = actual.Span[r * e + j] - expected.Span[r * e + j];
                diff += d * d;
                norm += (double)expected.Span[r * e + j] * expected.Span[r * e + j];
            }
            double rel = Math.Sqrt(diff) / Math.Sqrt(norm);
            Assert.True(rel <= tolerance, $"row {r}: relative error {rel:E3} > {tolerance:E1}");
        }
    }
}
