using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Training;
using ClipSharp.Testing;
using Xunit.Abstractions;

namespace ClipSharp.Tests;

/// <summary>
/// Hidden-shape training parity for ModifiedResNet (issue 17 item 4): on ResNet configs the other parity
/// tests never saw (data/unseen/rn-2121-w32: vision_layers [2,1,2,1], width 32, 96 px; rn-1211-w24: odd
/// width 24, [1,2,1,1], 80 px so layer4 pools 5×5 to 2×2), every gradient within 1e-4 of its norm of
/// PyTorch's (references from data/make_unseen_training.py), plus the usual loss and AdamW-step bars.
/// </summary>
public class UnseenResNetGradientParityTests
{
    private readonly ITestOutputHelper _output;

    public UnseenResNetGradientParityTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Models => new() { "rn-2121-w32", "rn-1211-w24" };

    [Theory]
    [MemberData(nameof(Models))]
    public void EveryGradientWithin1e4OfPyTorch(string name)
    {
        var dir = Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Tests", "data", "unseen", name);
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
        var trace = TrainingTrace.Record(model, pixels, tokens, 3, new TrainingOptions(), new ComputeContext(2))
            .ToDictionary(t => t.Name, t => t.Value.Span.ToArray());
        var report = TrainingTraceComparison.Compare(referencePath, trace);
        foreach (var line in report.Lines) _output.WriteLine(line);
        _output.WriteLine($"{name}: loss0 {report.Loss0:E2}, losses {report.Losses:E2}, worst grad.{report.WorstGrad} {report.WorstGradError:E2}, worst after.{report.WorstAfter} {report.WorstAfterError:E2}");
        TrainingTraceComparison.AssertBars(report, name);
        Assert.True(report.WorstGradError <= 1e-4, $"{name}: grad.{report.WorstGrad} relative error {report.WorstGradError:E2} (bar 1e-4)");
    }
}
