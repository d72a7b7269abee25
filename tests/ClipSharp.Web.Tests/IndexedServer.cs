using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Web.Tests;

/// <summary>
/// A temp folder holding the fixture images plus one corrupt file, indexed with the vit-tiny model and
/// served on a free loopback port; shared by the tests of one class.
/// </summary>
public sealed class IndexedServer : IAsyncLifetime
{
    public static readonly string[] Images = ["astronaut.png", "rocket.jpg", "camera.png", "chelsea.png", "logo.png"];

    public string Root { get; } = Directory.CreateTempSubdirectory("clipsharp-web-").FullName;
    public ImageIndex Index { get; private set; } = null!;
    public ClipImageEmbedder Embedder { get; private set; } = null!;
    public SyncReport Report { get; private set; } = null!;
    public SearchServer Server { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (var f in Images) File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(Root, f));
        File.WriteAllText(Path.Combine(Root, "corrupt.png"), "not a png");
        var modelPath = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        Embedder = new ClipImageEmbedder(ClipPipeline.Load(modelPath, new ComputeContext(2)), modelPath);
        Index = ImageIndex.Open(Root);
        Report = await Index.SyncAsync(Embedder);
        Server = new SearchServer(Index, Embedder, new SearchServerOptions { Port = 0 });
        await Server.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Server.Url) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        Index.Dispose();
        Directory.Delete(Root, true);
    }
}
