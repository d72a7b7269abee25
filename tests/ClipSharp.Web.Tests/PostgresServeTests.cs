using System.Net;
using System.Text.Json;
using ClipSharp.Search.Store.Postgres;
using ClipSharp.Testing;

namespace ClipSharp.Web.Tests;

/// <summary>
/// Issue 16: `serve` on a Postgres + pgvector collection: the same page and API as on the SQLite index (results,
/// similar images, image terms, thumbnails), the collection's folder given to confine thumbnails.
/// </summary>
public sealed class PostgresServeTests(IndexedServer sqlite, PgliteServer pg) : IClassFixture<IndexedServer>, IClassFixture<PgliteServer>
{
    private static async Task<JsonElement> Json(HttpClient http, string url)
    {
        var r = await http.GetAsync(url);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)r.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    private static (string Path, float Score)[] Hits(JsonElement hits) =>
        hits.EnumerateArray().Select(h => (h.GetProperty("path").GetString()!, h.GetProperty("score").GetSingle())).ToArray();

    [Fact]
    public async Task ServingAPostgresCollectionAnswersAsTheSqliteIndexDoes()
    {
        var report = await PgImageIndex.IndexFolderAsync(pg.Url, sqlite.Root, sqlite.Embedder);
        Assert.Single(report.Failures);   // corrupt.png
        Assert.Throws<ArgumentException>(() => new SearchServer(PgImageIndex.OpenExisting(pg.Url), sqlite.Embedder));   // no folder: no thumbnails
        using var index = PgImageIndex.OpenExisting(pg.Url, sqlite.Root);
        await using var server = new SearchServer(index, sqlite.Embedder, new SearchServerOptions { Port = 0 });
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        Assert.Equal(IndexedServer.Images.Length, (await Json(http, "/api/info")).GetProperty("images").GetInt32());
        foreach (var q in new[] { "/api/search?q=a%20photo%20of%20a%20rocket&k=10", "/api/search?k=10&q=" + Uri.EscapeDataString("\"a cat\" + 2:chelsea.png") })
        {
            var a = Hits(await Json(sqlite.Http, q));
            var b = Hits(await Json(http, q));
            Assert.Equal(a.Select(h => h.Path), b.Select(h => h.Path));
            for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Score, b[i].Score, 1e-3);   // SQLite keeps float16, pgvector float32
        }
        long id = index.FindId("chelsea.png")!.Value;
        var similar = Hits(await Json(http, $"/api/similar/{id}?k=1"));
        Assert.Equal("chelsea.png", similar.Single().Path);
        var thumb = await http.GetAsync($"/thumb/{id}");
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        Assert.Equal("image/png", thumb.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/thumb/999999")).StatusCode);
    }
}
