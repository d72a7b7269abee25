using ClipSharp.Search.Embedding;
using ClipSharp.Search.Store.Postgres;
using ClipSharp.Search.Sync;
using ClipSharp.Search.VectorData;
using ClipSharp.Tensors;
using ClipSharp.Testing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.VectorData;

namespace ClipSharp.Search.Tests;

/// <summary>
/// Issue 16: a ClipSharp index (SQLite, and Postgres + pgvector) behind Microsoft.Extensions.VectorData's
/// VectorStoreCollection: searches by text, image and vector give the index's own results; filters, skip,
/// score threshold, record lookups; writes refused with a clear error.
/// </summary>
public sealed class ImageCollectionTests : IClassFixture<PgliteServer>, IDisposable
{
    private static readonly string[] Images = ["astronaut.png", "rocket.jpg", "camera.png", "chelsea.png", "logo.png"];
    private static readonly Lazy<ClipImageEmbedder> Embedder = new(() =>
        new ClipImageEmbedder(ClipPipeline.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"), new ComputeContext(2))));
    private readonly PgliteServer _pg;
    private readonly string _root = Directory.CreateTempSubdirectory("clipsharp-collection-").FullName;

    public ImageCollectionTests(PgliteServer pg)
    {
        _pg = pg;
        foreach (var f in Images) File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(_root, f));
        File.WriteAllText(Path.Combine(_root, "corrupt.png"), "not a png");
    }

    public void Dispose() => Directory.Delete(_root, true);

    private async Task<ImageIndex> SqliteIndex()
    {
        var index = ImageIndex.Open(_root);
        await index.SyncAsync(Embedder.Value);
        return index;
    }

    private static async Task<List<VectorSearchResult<ImageVectorRecord>>> All<T>(ClipImageCollection c, T query, int top, VectorSearchOptions<ImageVectorRecord>? o = null)
    {
        var list = new List<VectorSearchResult<ImageVectorRecord>>();
        await foreach (var r in c.SearchAsync(query, top, o)) list.Add(r);
        return list;
    }

    [Fact]
    public async Task SqliteCollectionSearchesByTextImageAndVectorAsTheIndexDoes()
    {
        using var index = await SqliteIndex();
        using var collection = new ClipImageCollection(index, Embedder.Value, "photos");
        Assert.Equal("photos", collection.Name);
        Assert.True(await collection.CollectionExistsAsync());

        var byText = await All(collection, "a photo of an astronaut", 3);
        var direct = index.Search(Embedder.Value.EmbedText("a photo of an astronaut"), 3);
        Assert.Equal(direct.Select(h => h.Id), byText.Select(r => r.Record.Id));
        Assert.Equal(direct.Select(h => (double)h.Score), byText.Select(r => r.Score!.Value));
        Assert.Equal(direct.Select(h => h.RelativePath), byText.Select(r => r.Record.Path));

        var astronaut = File.ReadAllBytes(Path.Combine(_root, "astronaut.png"));
        var byImage = await All(collection, new DataContent(astronaut, "image/png"), 1);
        Assert.Equal("astronaut.png", byImage.Single().Record.Path);
        Assert.True(byImage[0].Score > 0.999, $"the image itself scores {byImage[0].Score}");

        long cameraId = index.FindId("camera.png")!.Value;
        var stored = index.GetEmbedding(cameraId)!;
        var scaled = stored.Select(v => v * 3).ToArray();   // normalised by the collection
        var byVector = await All(collection, new ReadOnlyMemory<float>(scaled), 2);
        Assert.Equal(cameraId, byVector[0].Record.Id);
        Assert.Equal(cameraId, (await All(collection, new Embedding<float>(stored), 1))[0].Record.Id);
        Assert.Equal(cameraId, (await All(collection, stored, 1))[0].Record.Id);
        await Assert.ThrowsAsync<ArgumentException>(async () => await All(collection, new float[7], 1));
        await Assert.ThrowsAsync<NotSupportedException>(async () => await All(collection, 42, 1));
        await Assert.ThrowsAsync<InvalidDataException>(async () => await All(collection, new DataContent("nope"u8.ToArray(), "image/png"), 1));
    }

    [Fact]
    public async Task FiltersSkipThresholdAndLookups()
    {
        using var index = await SqliteIndex();
        using var collection = new ClipImageCollection(index, Embedder.Value);
        var everything = await All(collection, "a cat", 10);
        Assert.Equal(Images.Length, everything.Count);   // the corrupt file is not a record

        var png = await All(collection, "a cat", 10, new() { Filter = r => r.Path.EndsWith(".png") });
        Assert.Equal(everything.Where(r => r.Record.Path.EndsWith(".png")).Select(r => r.Record.Id), png.Select(r => r.Record.Id));
        var skipped = await All(collection, "a cat", 2, new() { Skip = 1 });
        Assert.Equal(everything.Skip(1).Take(2).Select(r => r.Record.Id), skipped.Select(r => r.Record.Id));
        double cut = everything[2].Score!.Value;
        var above = await All(collection, "a cat", 10, new() { ScoreThreshold = cut });
        Assert.Equal(everything.TakeWhile(r => r.Score >= cut).Select(r => r.Record.Id), above.Select(r => r.Record.Id));
        Assert.All(everything, r => Assert.Null(r.Record.Embedding));
        var withVectors = await All(collection, "a cat", 1, new() { IncludeVectors = true });
        Assert.Equal(index.GetEmbedding(withVectors[0].Record.Id), withVectors[0].Record.Embedding!.Value.ToArray());

        long id = index.FindId("chelsea.png")!.Value;
        var record = await collection.GetAsync(id, new RecordRetrievalOptions { IncludeVectors = true });
        Assert.NotNull(record);
        Assert.Equal("chelsea.png", record.Path);
        Assert.Equal(Path.Combine(_root, "chelsea.png"), record.FullPath);
        Assert.True(record.Width > 0 && record.Height > 0);
        Assert.Equal(index.GetEmbedding(id), record.Embedding!.Value.ToArray());
        Assert.Null(await collection.GetAsync(987654));

        var jpegs = new List<ImageVectorRecord>();
        await foreach (var r in collection.GetAsync(r => r.Path.EndsWith(".jpg"), 10)) jpegs.Add(r);
        Assert.Equal(["rocket.jpg"], jpegs.Select(r => r.Path));

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => collection.UpsertAsync(record));
        Assert.Contains("clipsharp index", error.Message);
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.DeleteAsync(id));
        Assert.Equal("clipsharp-sqlite", ((VectorStoreCollectionMetadata)collection.GetService(typeof(VectorStoreCollectionMetadata))!).VectorStoreSystemName);
        Assert.Same(index, collection.GetService(typeof(ImageIndex)));

        var other = new ClipImageEmbedder(Embedder.Value.Pipeline, "some-other-model");
        Assert.Throws<IndexMismatchException>(() => new ClipImageCollection(index, other));
    }

    [Fact]
    public async Task PostgresCollectionGivesTheSqliteCollectionsResults()
    {
        var report = await PgImageIndex.IndexFolderAsync(_pg.Url, _root, Embedder.Value);
        Assert.Single(report.Failures);
        using var pg = new ClipImageCollection(PgImageIndex.OpenExisting(_pg.Url, _root), Embedder.Value, ownsIndex: true);
        using var index = await SqliteIndex();
        using var lite = new ClipImageCollection(index, Embedder.Value);
        foreach (var q in new[] { "a photo of an astronaut", "a rocket launch", "a cat" })
        {
            var a = await All(lite, q, 5);
            var b = await All(pg, q, 5, new() { IncludeVectors = true });
            Assert.Equal(a.Select(r => r.Record.Path), b.Select(r => r.Record.Path));
            // SQLite keeps float16 embeddings by default, pgvector float32: scores agree to that rounding.
            for (int i = 0; i < a.Count; i++) Assert.Equal(a[i].Score!.Value, b[i].Score!.Value, 1e-3);
            Assert.All(b, r => Assert.Equal(64, r.Record.Embedding!.Value.Length));
        }
        var pngs = new List<ImageVectorRecord>();
        await foreach (var r in pg.GetAsync(r => r.Path.EndsWith(".png"), 10)) pngs.Add(r);
        Assert.Equal(Images.Where(f => f.EndsWith(".png")).Order(), pngs.Select(r => r.Path).Order());
        var one = await pg.GetAsync(pngs[0].Id);
        Assert.Equal(pngs[0].Path, one!.Path);
        Assert.Equal("clipsharp-postgres", ((VectorStoreCollectionMetadata)pg.GetService(typeof(VectorStoreCollectionMetadata))!).VectorStoreSystemName);
    }
}
