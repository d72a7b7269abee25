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

    [Fact]
    public void TrainsFromWebDatasetShardsWithAugmentationAndReportsCorruptSamples()
    {
        using var dir = new CliHarness.TempDir();
        var images = Fixtures.Path("vit-tiny", "images");
        string[][] shards =
        [
            ["chelsea.png", "astronaut.png"],
            ["coffee_progressive.jpg", "chelsea.png"],
        ];
        for (int s = 0; s < shards.Length; s++)
        {
            using var stream = File.Create(dir.File($"shard-{s:D2}.tar"));
            using var writer = new System.Formats.Tar.TarWriter(stream);
            for (int k = 0; k < shards[s].Length; k++)
            {
                writer.WriteEntry(Path.Combine(images, shards[s][k]), $"{s}{k}.{Path.GetExtension(shards[s][k])[1..]}");
                var caption = dir.File($"{s}{k}.txt");
                File.WriteAllText(caption, $"a photo, number {s}{k}");
                writer.WriteEntry(caption, $"{s}{k}.txt");
            }
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, $"{s}9.png") { DataStream = new MemoryStream("garbage"u8.ToArray()) });
            writer.WriteEntry(new System.Formats.Tar.PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, $"{s}9.txt") { DataStream = new MemoryStream("a broken image"u8.ToArray()) });
        }
        var (code, stdout, stderr) = CliHarness.Run("train", "--data", dir.File("shard-{00..01}.tar"), "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"),
            "--out", dir.File("run"), "--batch", "2", "--steps", "4", "--warmup", "1", "--augment", "rrc:0.5,flip", "--shuffle-buffer", "2");
        Assert.True(code == 0, stderr);
        Assert.Contains("6 pairs", stdout);
        Assert.Contains("step 4/4", stdout);
        Assert.Contains("skipped", stderr);
        Assert.Contains("9", stderr);
    }
}
