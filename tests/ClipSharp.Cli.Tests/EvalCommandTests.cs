using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp eval …` and `tag` end to end on small folders built from the fixture images.</summary>
[Collection("Console")]
public class EvalCommandTests
{
    private static readonly string Model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");

    /// <summary>An ImageFolder: class "astronaut" and class "chelsea" (cat), plus a corrupt file.</summary>
    private static string MakeFolder(CliHarness.TempDir tmp, string name, bool corrupt)
    {
        var root = tmp.File(name);
        foreach (var (cls, files) in new[]
        {
            ("astronaut", new[] { "astronaut.png", "astronaut_restart.jpg" }),
            ("cat", new[] { "chelsea.png", "chelsea_444.jpg", "chelsea_interlaced.png" }),
        })
        {
            Directory.CreateDirectory(Path.Combine(root, cls));
            foreach (var f in files) File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(root, cls, f));
        }
        if (corrupt) File.WriteAllBytes(Path.Combine(root, "cat", "broken.jpg"), [0xFF, 0xD8, 0xFF, 0xE0, 0, 16]);
        return root;
    }

    [Fact]
    public void ZeroShotWritesReportsAndAConfusionMatrixAndSkipsCorruptFiles()
    {
        using var tmp = new CliHarness.TempDir();
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", tmp.Path);
        var data = MakeFolder(tmp, "data", corrupt: true);
        var outDir = tmp.File("report");
        var (code, stdout, err) = CliHarness.Run("eval", "zeroshot", "--model", Model, "--data", data, "--templates", "simple", "--out", outDir);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
        Assert.True(code == 0, err);
        Assert.Contains("broken.jpg", err);
        Assert.Contains("top-1", stdout);
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "report.json"))).RootElement.GetProperty("result");
        Assert.Equal(5, report.GetProperty("samples").GetInt32());
        double top1 = report.GetProperty("top1").GetDouble();
        Assert.InRange(top1, 0, 1);
        Assert.Equal(1.0, report.GetProperty("top5").GetDouble());   // 2 classes: the truth is always in the top 5
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(outDir, "confusion.svg")));
        Assert.Contains("| astronaut | 2 |", File.ReadAllText(Path.Combine(outDir, "report.md")));
    }

    [Fact]
    public void LinearProbeFitsTheTrainingImages()
    {
        using var tmp = new CliHarness.TempDir();
        var data = MakeFolder(tmp, "data", corrupt: false);
        var (code, stdout, err) = CliHarness.Run("eval", "linear-probe", "--model", Model, "--train", data, "--test", data, "--out", tmp.File("lp"));
        Assert.True(code == 0, err);
        // Training and test sets are the same five images: a probe on 64-d features separates them.
        Assert.Contains("top-1 100.00 %", stdout);
        Assert.True(File.Exists(Path.Combine(tmp.File("lp"), "report.json")));
    }

    [Fact]
    public void RetrievalRecallFromACaptionsFile()
    {
        using var tmp = new CliHarness.TempDir();
        var csv = tmp.File("captions.csv");
        File.Copy(Fixtures.Path("vit-tiny", "images", "rocket.jpg"), tmp.File("rocket.jpg"));
        File.Copy(Fixtures.Path("vit-tiny", "images", "camera.png"), tmp.File("camera.png"));
        File.WriteAllText(csv, "image,caption\nrocket.jpg,\"a rocket, on the pad\"\ncamera.png,a man with a camera\nrocket.jpg,a launch\n");
        var (code, stdout, err) = CliHarness.Run("eval", "retrieval", "--model", Model, "--data", csv);
        Assert.True(code == 0, err);
        Assert.Contains("2 images, 3 texts", stdout);
        // With 2 images and 3 texts every item is within the top 5: recall@5 and @10 must be 1.
        Assert.Matches(@"\| image → text \| [0-9.]+ % \| 100.0 % \| 100.0 % \|", stdout);
        Assert.Matches(@"\| text → image \| [0-9.]+ % \| 100.0 % \| 100.0 % \|", stdout);
    }

    [Fact]
    public void TagReportsPoliciesAboveTheirThresholds()
    {
        using var tmp = new CliHarness.TempDir();
        var policies = tmp.File("policies.txt");
        File.WriteAllText(policies, "# comment\na photo of a rocket | -1\na photo of a weapon | 1\n");
        var (code, stdout, err) = CliHarness.Run("tag", Fixtures.Path("vit-tiny", "images", "rocket.jpg"), "--model", Model, "--labels-file", policies, "--json");
        Assert.True(code == 0, err);
        var row = JsonDocument.Parse(stdout.Trim()).RootElement;
        var tags = row.GetProperty("tags").EnumerateArray().Select(t => t.GetProperty("label").GetString()!).ToArray();
        Assert.Equal(["a photo of a rocket"], tags);   // threshold -1 always passes, threshold 1 never does
        Assert.Equal(2, row.GetProperty("scores").EnumerateObject().Count());
    }
}
