using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp train` end to end, in process, fine-tuning the vit-tiny fixture on a small CSV.</summary>
[Collection("Console")]
public class TrainCommandTests
{
    [Fact]
    public void FineTunesFromCsvWritesMetricsPlotCheckpointAndResumes()
    {
        using var dir = new CliHarness.TempDir();
        var images = Fixtures.Path("vit-tiny", "images");
        File.WriteAllLines(dir.File("pairs.csv"),
        [
            "filepath,title",
            $"{Path.Combine(images, "astronaut.png")},a photo of an astronaut",
            $"{Path.Combine(images, "camera.png")},\"a camera, in black and white\"",
            $"{Path.Combine(images, "chelsea.png")},a photo of a cat",
            $"{Path.Combine(images, "coffee_progressive.jpg")},two cups of coffee",
        ]);
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var run = dir.File("run");
        string[] common = ["train", "--data", dir.File("pairs.csv"), "--model", model, "--out", run, "--batch", "2", "--warmup", "1", "--threads", "2"];

        var (code, stdout, stderr) = CliHarness.Run([.. common, "--steps", "2"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("step 2/2", stdout);
        Assert.Contains("samples/s", stdout);
        Assert.Contains("ETA", stdout);
        Assert.True(File.Exists(Path.Combine(run, "checkpoint", "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(run, "checkpoint", "optimizer.safetensors")));
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(run, "loss.svg")));
        Assert.Equal(2, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);

        (code, stdout, stderr) = CliHarness.Run([.. common, "--steps", "3", "--resume"]);
        Assert.True(code == 0, stderr);
        Assert.Contains("resumed from", stdout);
        Assert.Contains("step 3/3", stdout);
        Assert.DoesNotContain("step 1/3", stdout);
        Assert.Equal(3, File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Length);
    }

    [Fact]
    public void BadLossIsOneLineError()
    {
        using var dir = new CliHarness.TempDir();
        File.WriteAllLines(dir.File("pairs.csv"), ["filepath,title", "a.png,x", "b.png,y"]);
        var (code, _, stderr) = CliHarness.Run("train", "--data", dir.File("pairs.csv"), "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"),
            "--out", dir.File("run"), "--loss", "hinge", "--batch", "2");
        Assert.NotEqual(0, code);
        Assert.Contains("--loss", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }
}
