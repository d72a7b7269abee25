using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>An index records the weights' content hash, not their path: a moved checkpoint still searches it.</summary>
[Collection("Console")]
public class IndexModelIdTests
{
    [Fact]
    public void AMovedCheckpointKeepsItsIndexAndOtherWeightsAreRefused()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        Directory.CreateDirectory(root);
        foreach (var f in new[] { "astronaut.png", "rocket.jpg" })
            File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(root, f));
        Directory.CreateDirectory(tmp.File("a"));
        var first = tmp.File("a/model.safetensors");
        File.Copy(Fixtures.Path("vit-tiny", "openai", "model.safetensors"), first);
        var (code, _, err) = CliHarness.Run("index", root, "--model", first);
        Assert.True(code == 0, err);

        Directory.CreateDirectory(tmp.File("b"));
        var moved = tmp.File("b/model.safetensors");
        File.Move(first, moved);
        (code, _, err) = CliHarness.Run("search", "a rocket", "--dir", root, "--top", "1");
        Assert.Equal(2, code);
        Assert.Contains("pass --model", err);
        var (code2, hits, err2) = CliHarness.Run("search", "a rocket", "--dir", root, "--top", "1", "--model", moved);
        Assert.True(code2 == 0, err2);
        Assert.Single(hits.Trim().Split('\n'));

        // Re-indexing with the moved file continues the same index (no "holds embeddings of another model").
        var (code3, _, err3) = CliHarness.Run("index", root, "--model", moved);
        Assert.True(code3 == 0, err3);

        // Other weights of the same width are refused instead of searched with.
        var other = tmp.File("b/other.safetensors");
        var bytes = File.ReadAllBytes(moved);
        bytes[^1] ^= 1;   // the last byte of the last tensor: other weights, same architecture
        File.WriteAllBytes(other, bytes);
        var (code4, _, err4) = CliHarness.Run("search", "a rocket", "--dir", root, "--model", other);
        Assert.Equal(2, code4);
        Assert.Contains("other weights", err4);
    }
}
