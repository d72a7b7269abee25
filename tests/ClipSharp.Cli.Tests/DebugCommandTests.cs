using ClipSharp.IO;
using ClipSharp.Testing;
using ClipSharp.Tests;
using Xunit.Abstractions;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp debug train-steps` reproduces the shared fixtures' training.safetensors.</summary>
[Collection("Console")]
public class DebugCommandTests
{
    private readonly ITestOutputHelper _output;

    public DebugCommandTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("vit-tiny")]
    [InlineData("rn-tiny")]
    public void TrainStepsMatchesTheFixture(string fixture)
    {
        using var dir = new CliHarness.TempDir();
        var expected = Fixtures.Path(fixture, "expected.safetensors");
        var reference = Fixtures.Path(fixture, "training.safetensors");
        var (code, stdout, stderr) = CliHarness.Run("debug", "train-steps", "--model", Fixtures.Path(fixture, "openai", "model.safetensors"),
            "--pixels", $"{expected}:pixel_values", "--tokens", $"{expected}:tokens", "--batch", "8", "--steps", "3", "--lr", "1e-3",
            "--out", dir.File("trace.safetensors"));
        Assert.True(code == 0, stderr);
        Assert.Contains("loss0", stdout);

        Dictionary<string, float[]> trace;
        using (var ours = SafetensorsFile.Open(dir.File("trace.safetensors")))
        {
            using var fixtureFile = SafetensorsFile.Open(reference);
            Assert.Equal(fixtureFile.Names.Order(), ours.Names.Order());   // the same layout, name for name
            Assert.Equal(fixtureFile.ReadInt32("token_embedding.rows"), ours.ReadInt32("token_embedding.rows"));
            trace = ours.Names.ToDictionary(n => n, n => ours.ReadFloat32(n));
        }
        var report = TrainingTraceComparison.Compare(reference, trace);
        foreach (var line in report.Lines) _output.WriteLine(line);
        _output.WriteLine($"{fixture}: loss0 {report.Loss0:E2}, losses {report.Losses:E2}, worst grad.{report.WorstGrad} {report.WorstGradError:E2}, worst after.{report.WorstAfter} {report.WorstAfterError:E2}");
        TrainingTraceComparison.AssertBars(report, fixture);
    }
}
