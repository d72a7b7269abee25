using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp index`, `search` and `dupes` on a folder of fixture images.</summary>
[Collection("Console")]
public class IndexSearchCommandTests
{
    [Fact]
    public void IndexSearchReindexAndDupes()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        foreach (var f in new[] { "astronaut.png", "rocket.jpg", "camera.png", "chelsea.png" })
            File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(root, f));
        File.Copy(Fixtures.Path("vit-tiny", "images", "chelsea.png"), Path.Combine(root, "sub", "chelsea-copy.png"));
        File.WriteAllText(Path.Combine(root, "broken.jpg"), "not a jpeg");
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");

        var (code, stdout, err) = CliHarness.Run("index", root, "--model", model);
        Assert.True(code == 0, err);
        Assert.Contains("4 added", stdout);       // sub/chelsea-copy.png has chelsea.png's content:
        Assert.Contains("1 copied", stdout);      // its embedding is copied, not computed again
        Assert.Contains("broken.jpg", err);

        // A stored image searched by itself comes first with cosine 1.
        var (code2, hits, err2) = CliHarness.Run("search", "--dir", root, "--image", Path.Combine(root, "rocket.jpg"), "--top", "3", "--json");
        Assert.True(code2 == 0, err2);
        var first = JsonDocument.Parse(hits.Split('\n')[0]).RootElement;
        Assert.Equal("rocket.jpg", first.GetProperty("path").GetString());
        Assert.True(first.GetProperty("score").GetSingle() > 0.999f);

        var (code3, textHits, _) = CliHarness.Run("search", "a photo of a cat", "--dir", root, "--top", "10", "--json");
        Assert.Equal(0, code3);
        var scores = textHits.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement.GetProperty("score").GetSingle()).ToArray();
        Assert.Equal(5, scores.Length);
        Assert.Equal(scores.OrderByDescending(s => s), scores);

        // The exact copy is a duplicate group.
        var (_, dupes, _) = CliHarness.Run("dupes", "--dir", root, "--threshold", "0.999");
        Assert.Contains("chelsea.png", dupes);
        Assert.Contains("chelsea-copy.png", dupes);

        // The database alone names its folder and (through the model path it records) its model.
        var db = Path.Combine(root, ".clipsharp", "index.db");
        var (code5, byDb, err5) = CliHarness.Run("search", "a photo of a cat", "--db", db, "--top", "2");
        Assert.True(code5 == 0, err5);
        Assert.Equal(2, byDb.Trim().Split('\n').Length);
        var (code6, dupesJson, err6) = CliHarness.Run("dupes", "--db", db, "--threshold", "0.999", "--json");
        Assert.True(code6 == 0, err6);
        var group = JsonDocument.Parse(dupesJson.Trim()).RootElement;
        Assert.True(group.GetProperty("min_score").GetSingle() >= 0.999f);
        Assert.Equal(["chelsea.png", "sub/chelsea-copy.png"], group.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("path").GetString()).Order().ToArray());

        // Re-index after a delete and an addition: exactly those change.
        File.Delete(Path.Combine(root, "camera.png"));
        File.Copy(Fixtures.Path("vit-tiny", "images", "logo.png"), Path.Combine(root, "logo.png"));
        var (code4, again, err4) = CliHarness.Run("index", root, "--model", model);
        Assert.True(code4 == 0, err4);
        Assert.Contains("4 unchanged, 1 added", again);
        Assert.Contains("1 removed", again);
        Assert.Contains("5 images in", again);
    }

    [Theory]
    [InlineData("search", "cat")]
    [InlineData("search", "cat", "--db", "/nonexistent/index.db")]
    [InlineData("search", "--dir", ".")]
    [InlineData("dupes")]
    [InlineData("dupes", "--db", "/nonexistent/index.db")]
    [InlineData("serve", "--db", "/nonexistent/index.db")]
    [InlineData("index", "/nonexistent/folder", "--model", "/nonexistent/model.safetensors")]
    public void BadArgumentsAreOneLineErrors(params string[] args)
    {
        var (code, _, err) = CliHarness.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("clipsharp: error: ", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void ProgressLineIsRewrittenOnATerminalAndThrottledInALog()
    {
        var p = new ClipSharp.Search.Sync.IndexProgress(ClipSharp.Search.Sync.SyncPhase.Indexing, 120, 5000, 1, TimeSpan.FromSeconds(8), 14.25, TimeSpan.FromSeconds(343));
        Assert.Equal("Indexing: 120/5000 images, 1 failed, 14.2 files/s, ETA 00:05:43", Commands.IndexProgressLine.Format(p));
        Assert.EndsWith("ETA 123h", Commands.IndexProgressLine.Format(p with { Eta = TimeSpan.FromHours(123.5) }));

        var tty = new StringWriter();
        var line = new Commands.IndexProgressLine(tty, terminal: true);
        line.Report(p);
        line.Report(p with { Done = 121 });
        line.Finish();
        Assert.Equal(2, tty.ToString().Count(c => c == '\r'));
        Assert.EndsWith("\n", tty.ToString());

        var log = new StringWriter();
        line = new Commands.IndexProgressLine(log, terminal: false);
        line.Report(p);
        line.Report(p with { Done = 121 });   // within 5 s of the first: held back
        line.Finish();                         // ... and printed at the end
        var lines = log.ToString().Trim().Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.DoesNotContain('\r', log.ToString());
        Assert.Contains("121/5000", lines[1]);
    }
}
