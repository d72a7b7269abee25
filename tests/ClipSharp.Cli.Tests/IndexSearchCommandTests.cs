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
        Assert.Contains("5 added", stdout);
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

        // Re-index after a delete and an addition: exactly those change.
        File.Delete(Path.Combine(root, "camera.png"));
        File.Copy(Fixtures.Path("vit-tiny", "images", "logo.png"), Path.Combine(root, "logo.png"));
        var (code4, again, err4) = CliHarness.Run("index", root, "--model", model);
        Assert.True(code4 == 0, err4);
        Assert.Contains("4 unchanged, 1 added", again);
        Assert.Contains("1 removed", again);
        Assert.Contains("5 images in", again);
    }
}
