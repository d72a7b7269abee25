using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Testing;
using ClipSharp.Training;
using Xunit.Abstractions;

namespace ClipSharp.Tests;

/// <summary>
/// Loss, every gradient, and three AdamW steps against training.safetensors (the reference run on
/// pairs (pixel_values[i], tokens[i]), i &lt; 8, BatchNorm in train mode).
/// </summary>
public class TrainingParityTests
{
    private readonly ITestOutputHelper _output;

    public TrainingParityTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Fixtures_ => new() { "vit-tiny", "rn-tiny" };

    internal sealed record Batch(ClipModel Model, Tensor Pixels, int[] Tokens, Dictionary<string, (string Dtype, int[] Shape, byte[] Bytes)> Reference);

    internal static Batch Load(string fixture, int count = 8)
    {
        var model = ClipModel.FromStateDict(TestSafetensors.StateDict(Fixtures.Path(fixture, "openai", "model.safetensors")));
        var expected = Fixtures.Path(fixture, "expected.safetensors");
        var pixels = TestSafetensors.Tensor(expected, "pixel_values").Slice(0, count).Clone();
        var tokens = TestSafetensors.Ints(expected, "tokens").Take(count * 77).ToArray();
        return new Batch(model, pixels, tokens, TestSafetensors.Read(Fixtures.Path(fixture, "training.safetensors")));
    }

    internal static float[] Ref(Batch b, string name)
    {
        var (dtype, _, bytes) = b.Reference.TryGetValue(name, out var v) ? v : throw new KeyNotFoundException($"training.safetensors has no '{name}'");
        return TestSafetensors.Floats(dtype, bytes);
    }

    internal static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual) =>
        TrainingTraceComparison.RelativeError(expected, actual);

    internal static double Norm(ReadOnlySpan<float> x)
    {
        double s = 0;
        foreach (var v in x) s += (double)v * v;
        return Math.Sqrt(s);
    }

    /// <summary>The rows of the (V, C) token-embedding tensor that the fixture lists.</summary>
    internal static float[] TokenRows(Batch b, Tensor table)
    {
        var (_, _, bytes) = b.Reference["token_embedding.rows"];
        int c = table.Shape[1];
        var rows = Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToInt32(bytes, i * 4)).ToArray();
        return rows.SelectMany(r => table.Span.Slice(r * c, c).ToArray()).ToArray();
    }

    [Theory]
    [MemberData(nameof(Fixtures_))]
    public void LossAndEveryGradientMatchReference(string fixture)
    {
        var b = Load(fixture);
        var trainer = new ClipTrainer(b.Model, new TrainingOptions(), ComputeContext.Default);
        double loss = trainer.ComputeGradients(b.Pixels, b.Tokens);
        double loss0 = Ref(b, "loss0")[0];
        _output.WriteLine($"loss0 {loss:R} vs {loss0:R}: relative {Math.Abs(loss - loss0) / loss0:E2}");
        Assert.True(Math.Abs(loss - loss0) <= 1e-4 * Math.Abs(loss0), $"loss {loss} vs reference {loss0}");

        // Tolerance: 1e-3 of the tensor's norm, plus a floor at float rounding of the whole gradient
        // (1e-6 of its global norm). The floor matters only for attnpool.k_proj.bias, whose gradient is
        // exactly zero in exact arithmetic (a key bias shifts every score of a row equally) and is
        // ~1e-8 of rounding noise in both the reference and here.
        double globalNorm = Math.Sqrt(trainer.Trainable.Sum(kv =>
            Math.Pow(Norm(Ref(b, "grad." + kv.Key)), 2)));
        double worst = 0;
        string worstName = "";
        foreach (var (name, value) in trainer.Trainable)
        {
            var grad = trainer.Gradients[value];
            var actual = name == "token_embedding.weight" ? TokenRows(b, grad) : grad.Span.ToArray();
            var expected = Ref(b, "grad." + name);
            Assert.Equal(expected.Length, actual.Length);
            double rel = RelativeError(expected, actual);
            _output.WriteLine($"grad.{name}: relative error {rel:E2} (reference norm {Norm(expected):E2}, ours {Norm(actual):E2})");
            double allowed = 1e-3 * Norm(expected) + 1e-6 * globalNorm;
            Assert.True(rel * Math.Max(Norm(expected), 1e-30) <= allowed || rel <= 1e-3,
                $"grad.{name}: error norm {rel * Norm(expected):E3} > {allowed:E3} (relative {rel:E3})");
            if (Norm(expected) < 1e-6 * globalNorm) continue;  // rounding noise: not a meaningful relative error
            if (rel > worst) (worst, worstName) = (rel, name);
        }
        _output.WriteLine($"worst gradient: {worstName} {worst:E2}");
        int names = b.Reference.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal));
        Assert.Equal(names, trainer.Trainable.Count);
    }

    [Theory]
    [MemberData(nameof(Fixtures_))]
    public void ThreeAdamWStepsMatchReference(string fixture)
    {
        var b = Load(fixture);
        var trainer = new ClipTrainer(b.Model, new TrainingOptions(), ComputeContext.Default);
        var losses = Ref(b, "losses");
        for (int step = 0; step < 3; step++)
        {
            var result = trainer.Step(b.Pixels, b.Tokens);
            double rel = Math.Abs(result.Loss - losses[step]) / losses[step];
            _output.WriteLine($"step {step}: loss {result.Loss:R} vs {losses[step]:R} (relative {rel:E2})");
            Assert.True(rel <= 1e-4, $"loss before step {step}: {result.Loss} vs {losses[step]}");
        }
        double worst = 0, worstAbs = 0;
        foreach (var (name, value) in trainer.Trainable)
        {
            var actual = name == "token_embedding.weight" ? TokenRows(b, value) : value.Span.ToArray();
            var expected = Ref(b, "after." + name);
            double rel = RelativeError(expected, actual), maxAbs = 0;
            for (int i = 0; i < expected.Length; i++) maxAbs = Math.Max(maxAbs, Math.Abs(actual[i] - expected[i]));
            worst = Math.Max(worst, rel);
            worstAbs = Math.Max(worstAbs, maxAbs);
            _output.WriteLine($"after.{name}: relative {rel:E2}, max abs {maxAbs:E2}");
        }
        _output.WriteLine($"worst after-parameter: relative {worst:E2}, max abs {worstAbs:E2}");
        Assert.True(worst <= 1e-3, $"after-parameters differ: worst relative error {worst:E3}");
    }
}
