using ClipSharp.Hub;
using ClipSharp.Pretrained;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using ClipSharp.Testing;
using ClipSharp.Tests.Hub;

namespace ClipSharp.Cli.Tests;

/// <summary>The README's five-line program, with a (fake) hub id in place of a real model name.</summary>
[Collection("Console")]
public class ReadmeProgramTests
{
    [Fact]
    public async Task FromAHubIdToSearchResultsInFiveLines()
    {
        using var tmp = new CliHarness.TempDir();
        using var server = new FakeHubServer();
        var hfDir = Fixtures.Path("vit-tiny", "hf");
        server.AddRepo("test-org/vit-tiny", FakeHubServer.FakeCommit("readme"),
            Directory.GetFiles(hfDir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes));
        var photos = tmp.File("photos");
        Directory.CreateDirectory(photos);
        foreach (var f in new[] { "astronaut.png", "rocket.jpg", "chelsea.png" })
            File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(photos, f));
        var options = new PipelineOptions { Hub = new HubOptions { Endpoint = server.Endpoint, CacheDir = tmp.File("cache") } };

        // The README's lines (there: ClipPipeline.FromPretrained("ViT-B-32") and "/photos").
        var embedder = new ClipImageEmbedder(ClipPipeline.FromPretrained("hf:test-org/vit-tiny", options));
        using var index = ImageIndex.Open(photos);
        await index.SyncAsync(embedder);
        var hits = index.Search(embedder.EmbedText("a photo of a cat"), k: 2);

        Assert.Equal(2, hits.Count);
        Assert.True(hits[0].Score >= hits[1].Score);
        Assert.Equal(ClipPipeline.FromPretrained(hfDir).ModelId, index.ModelId);   // the hub copy is the same weights
        Assert.NotEmpty(server.Gets("/cdn/"));
    }
}
