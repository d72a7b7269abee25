using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Training;
using ClipSharp.Testing;
using Xunit.Abstractions;

namespace ClipSharp.Tests;

/// <summary>
/// Hidden-shape training parity for ModifiedResNet (issue 17 item 4) on ResNet configs the other parity tests
/// never saw: rn-2121-w32 (vision_layers [2,1,2,1], width 32, embed 80, 96 px), rn-1211-w24 (odd width 24,
/// [1,2,1,1], 64 px) and rn-1112-w20 (width 20, [1,1,1,2], 64 px). References from data/make_unseen_training.py
/// on batches where PyTorch's float32 and float64 gradients agree within 2e-5 of each norm. Every gradient must be
/// within 1e-4 of its norm of PyTorch's float32 gradient AND of its float64 one (grad64.*, the exact answer).
/// The three AdamW steps are reported, not asserted: on these towers they are chaotic in PyTorch itself
/// (float32 vs float64 losses after the steps differ by 1e-4 to 6e-3; see the generator).
/// </summary>
public class UnseenResNetGradientParityTests
{
    private readonly ITestOutputHelper _output;

    public UnseenResNetGradientParityTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Models => new() { "rn-2121-w32", "rn-1211-w24", "rn-1112-w20" };

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryGradientWithin1e4OfPyTorch(string name)
    {
        var (referencePath, trace) = TrainingTraceComparison.RecordUnseen(name);
        var report = TrainingTraceComparison.Compare(referencePath, trace);
        foreach (var line in report.Lines) _output.WriteLine(line);
        var (worst64, worst64Error) = WorstAgainstFloat64(referencePath, trace);
        _output.WriteLine($"{name}: loss0 {report.Loss0:E2}, losses {report.Losses:E2}, worst grad.{report.WorstGrad} {report.WorstGradError:E2} (vs float64: grad.{worst64} {worst64Error:E2}), worst after.{report.WorstAfter} {report.WorstAfterError:E2}");
        Assert.True(report.Loss0 <= 1e-5, $"{name}: loss0 relative error {report.Loss0:E2}");
        Assert.True(report.WorstGradError <= 1e-4, $"{name}: grad.{report.WorstGrad} relative error {report.WorstGradError:E2} vs PyTorch float32 (bar 1e-4)");
        Assert.True(worst64Error <= 1e-4, $"{name}: grad.{worst64} relative error {worst64Error:E2} vs PyTorch float64 (bar 1e-4)");
    }

    /// <summary>Worst ‖ours − grad64‖ / ‖grad64‖ over the tensors whose exact gradient is not noise-sized.</summary>
    private static (string Name, double Error) WorstAgainstFloat64(string referencePath, IReadOnlyDictionary<string, float[]> ours)
    {
        using var reference = SafetensorsFile.Open(referencePath);
        var names = reference.Names.Where(n => n.StartsWith("grad64.", StringComparison.Ordinal)).ToList();
        Assert.True(names.Count > 0, $"{referencePath} holds no grad64.* tensors");
        var exact = names.ToDictionary(n => n["grad64.".Length..], n => reference.ReadFloat32(n));
        double global = Math.Sqrt(exact.Values.Sum(v => v.Sum(x => (double)x * x)));
        (string, double) worst = ("", 0);
        foreach (var (name, expected) in exact)
        {
            // Attention key biases have an exactly-zero gradient (see TrainingTraceComparison).
            if (name.EndsWith("k_proj.bias", StringComparison.Ordinal) || name.EndsWith("in_proj_bias", StringComparison.Ordinal)) continue;
            if (Math.Sqrt(expected.Sum(x => (double)x * x)) < 1e-6 * global) continue;
            var actual = TrainingTraceComparison.Sample(ours["grad." + name], expected.Length);
            double rel = TrainingTraceComparison.RelativeError(expected, actual);
            if (rel > worst.Item2) worst = (name, rel);
        }
        return worst;
    }
}
