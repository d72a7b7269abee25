using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Training;
using ClipSharp.Testing;
using Xunit.Abstractions;

namespace ClipSharp.Tests;

/// <summary>
/// Training parity on the four generated architectures (data/unseen, references from
/// data/make_unseen_training.py with our independent PyTorch implementation): the loss, every
/// gradient and three AdamW steps.
/// </summary>
public class UnseenTrainingParityTests
{
    private readonly ITestOutputHelper _output;

    public UnseenTrainingParityTests(ITestOutputHelper output) => _output = output;

    public static TheoryData<string> Models => new() { "vit-b3-p14", "vit-gelu-p4", "rn-2121", "rn-1211" };

    [Theory]
    [MemberData(nameof(Models))]
    public void LossGradientsAndThreeStepsMatchPyTorch(string name)
    {
        var (referencePath, trace) = TrainingTraceComparison.RecordUnseen(name);
        var report = TrainingTraceComparison.Compare(referencePath, trace);
        foreach (var line in report.Lines) _output.WriteLine(line);
        _output.WriteLine($"{name}: loss0 {report.Loss0:E2}, losses {report.Losses:E2}, worst grad.{report.WorstGrad} {report.WorstGradError:E2}, worst after.{report.WorstAfter} {report.WorstAfterError:E2}");
        // The references' batches are ones on which PyTorch agrees with itself (float32 vs float64 losses within
        // 2e-5; see make_unseen_training.py): the bars apply unchanged.
        TrainingTraceComparison.AssertBars(report, name);
    }
}
