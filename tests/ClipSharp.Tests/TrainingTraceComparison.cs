using ClipSharp.IO;
using ClipSharp.Tensors;

namespace ClipSharp.Tests;

/// <summary>
/// Compares a training trace (loss0, grad.*, losses, after.*; see ClipSharp.Training.TrainingTrace) with a
/// reference file in the same layout, tensor by tensor, as ‖ours − ref‖ / ‖ref‖. References may keep
/// only 1,024 values of a large tensor (flat[::numel // 1024]); ours are sampled the same way.
/// The key part of an attention bias (the middle third of in_proj_bias, and attnpool.k_proj.bias) has
/// a gradient that is exactly zero in exact arithmetic — softmax ignores a shift shared by a row's
/// scores — so both implementations update it by rounding noise alone, which Adam amplifies to ±lr.
/// Those values are left out of the relative errors; their gradients must still be noise-sized.
/// </summary>
internal static class TrainingTraceComparison
{
    /// <summary>
    /// Loads the unseen model <paramref name="name"/> from tests/ClipSharp.Tests/data/unseen and records three
    /// training steps on its reference batch: the reference file's path and our trace (name → values).
    /// </summary>
    public static (string ReferencePath, Dictionary<string, float[]> Trace) RecordUnseen(string name)
    {
        var dir = Path.Combine(ClipSharp.Testing.Fixtures.RepoRoot, "tests", "ClipSharp.Tests", "data", "unseen", name);
        var referencePath = Path.Combine(dir, "training.safetensors");
        Assert.True(File.Exists(referencePath), $"missing {referencePath}");
        var model = ModelLoader.Load(Path.Combine(dir, "model.safetensors"), ClipSharp.Models.ModelConfigs.FromOpenClipFile(Path.Combine(dir, "config.json")));
        Tensor pixels;
        int[] tokens;
        using (var reference = SafetensorsFile.Open(referencePath))
        {
            pixels = reference.ReadTensor("pixel_values");
            tokens = reference.ReadInt32("tokens");
        }
        var trace = ClipSharp.Training.TrainingTrace.Record(model, pixels, tokens, 3, new ClipSharp.Training.TrainingOptions(), new ClipSharp.Tensors.ComputeContext(2))
            .ToDictionary(t => t.Name, t => t.Value.Span.ToArray());
        return (referencePath, trace);
    }

    public const int SampleSize = 1024;

    public sealed record Report(double Loss0, double Losses, string WorstGrad, double WorstGradError,
        string WorstAfter, double WorstAfterError, IReadOnlyList<string> Lines);

    public static float[] Sample(float[] full, int referenceLength)
    {
        if (referenceLength == full.Length) return full;
        if (referenceLength != SampleSize || full.Length <= SampleSize)
            throw new InvalidDataException($"reference holds {referenceLength} values of a {full.Length}-value tensor");
        int stride = full.Length / SampleSize;
        return Enumerable.Range(0, SampleSize).Select(i => full[(long)i * stride]).ToArray();
    }

    /// <summary>Indices whose gradient is zero in exact arithmetic (see the class remarks).</summary>
    internal static bool MathematicallyZero(string name, int index, int length) =>
        name.EndsWith("attnpool.k_proj.bias", StringComparison.Ordinal)
        || (name.EndsWith("attn.in_proj_bias", StringComparison.Ordinal) && index >= length / 3 && index < 2 * length / 3);

    public static Report Compare(string referencePath, IReadOnlyDictionary<string, float[]> ours)
    {
        using var reference = SafetensorsFile.Open(referencePath);
        float[] Ref(string name) => reference.ReadFloat32(name);
        var lines = new List<string>();
        double loss0 = RelativeScalar(Ref("loss0")[0], ours["loss0"][0]);
        var refLosses = Ref("losses");
        double losses = refLosses.Select((l, i) => RelativeScalar(l, ours["losses"][i])).Max();
        var gradNames = reference.Names.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)).ToList();
        if (gradNames.Count != ours.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)))
            throw new InvalidDataException($"{referencePath} has {gradNames.Count} gradients, the trace {ours.Keys.Count(k => k.StartsWith("grad."))}");
        double globalNorm = Math.Sqrt(gradNames.Sum(n => Math.Pow(Norm(Ref(n)), 2)));
        (string, double) worstGrad = ("", 0), worstAfter = ("", 0);
        foreach (var gradName in gradNames)
        {
            var name = gradName["grad.".Length..];
            foreach (var (prefix, isGrad) in new[] { ("grad.", true), ("after.", false) })
            {
                var expected = Ref(prefix + name);
                var actual = Sample(ours[prefix + name], expected.Length);
                var kept = Enumerable.Range(0, expected.Length).Where(i => !(expected.Length == ours[prefix + name].Length && MathematicallyZero(name, i, expected.Length))).ToArray();
                double rel = RelativeError(kept.Select(i => expected[i]).ToArray(), kept.Select(i => actual[i]).ToArray());
                if (isGrad)
                {
                    foreach (int i in Enumerable.Range(0, expected.Length).Except(kept))
                        if (Math.Abs(actual[i]) > 1e-6 * globalNorm || Math.Abs(expected[i]) > 1e-6 * globalNorm)
                            throw new InvalidDataException($"{prefix}{name}[{i}]: {actual[i]} vs {expected[i]} where the exact gradient is zero");
                    // Tensors whose whole gradient is rounding noise carry no meaningful relative error.
                    if (Norm(kept.Select(i => expected[i]).ToArray()) < 1e-6 * globalNorm) continue;
                }
                lines.Add($"{prefix}{name}: relative {rel:E2}{(kept.Length < expected.Length ? $" ({expected.Length - kept.Length} key-bias values left out)" : "")}");
                ref var worst = ref isGrad ? ref worstGrad : ref worstAfter;
                if (rel > worst.Item2) worst = (name, rel);
            }
        }
        return new Report(loss0, losses, worstGrad.Item1, worstGrad.Item2, worstAfter.Item1, worstAfter.Item2, lines);
    }

    private static double RelativeScalar(double expected, double actual) => Math.Abs(actual - expected) / Math.Abs(expected);

    /// <summary>‖actual − expected‖ / ‖expected‖ (absolute when the reference is all zeros).</summary>
    internal static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }
        return norm > 0 ? Math.Sqrt(diff / norm) : Math.Sqrt(diff);
    }

    private static double Norm(float[] x) => Math.Sqrt(x.Sum(v => (double)v * v));

    /// <summary>Asserts the issue's bars: loss0 1e-5, losses 1e-4, gradients 1e-3, parameters after the steps 1e-4 (unless given).</summary>
    public static void AssertBars(Report r, string what, double afterBar = 1e-4)
    {
        Assert.True(r.Loss0 <= 1e-5, $"{what}: loss0 relative error {r.Loss0:E2}");
        Assert.True(r.Losses <= 1e-4, $"{what}: losses relative error {r.Losses:E2}");
        Assert.True(r.WorstGradError <= 1e-3, $"{what}: grad.{r.WorstGrad} relative error {r.WorstGradError:E2}");
        Assert.True(r.WorstAfterError <= afterBar, $"{what}: after.{r.WorstAfter} relative error {r.WorstAfterError:E2}");
    }
}
