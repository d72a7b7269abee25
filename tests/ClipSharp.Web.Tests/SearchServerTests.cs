using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Web.Tests;

/// <summary>The HTTP API over a real index of the fixture images (vit-tiny model).</summary>
public class SearchServerTests(IndexedServer s) : IClassFixture<IndexedServer>
{
    private async Task<JsonElement> GetJson(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var r = await s.Http.GetAsync(url);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"GET {url}: {(int)r.StatusCode} {body}");
        Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    private static float[] Scores(JsonElement hits) => hits.EnumerateArray().Select(h => h.GetProperty("score").GetSingle()).ToArray();

    [Fact]
    public void TheIndexHoldsTheImagesAndReportsTheCorruptFile()
    {
        Assert.Equal(5, s.Report.Added);
        var failure = Assert.Single(s.Report.Failures);
        Assert.Equal("corrupt.png", failure.Path);
    }

    [Fact]
    public async Task TextSearchReturnsEveryImageSortedByScore()
    {
        var hits = await GetJson("/api/search?q=a%20photo%20of%20a%20rocket&k=10");
        Assert.Equal(5, hits.GetArrayLength());
        var scores = Scores(hits);
        Assert.Equal(scores.OrderByDescending(x => x), scores);
        Assert.All(scores, x => Assert.InRange(x, -1f, 1f));
        foreach (var h in hits.EnumerateArray())
        {
            Assert.Contains(h.GetProperty("path").GetString(), IndexedServer.Images);
            Assert.Equal($"/thumb/{h.GetProperty("id").GetInt64()}", h.GetProperty("thumb").GetString());
        }
        Assert.Equal(2, (await GetJson("/api/search?q=rocket&k=2")).GetArrayLength());
        Assert.Equal(s.Index.Search(s.Embedder.EmbedText("a photo of a rocket"), 1)[0].Id, hits[0].GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task AStoredImageSearchedByItselfComesFirst()
    {
        var bytes = File.ReadAllBytes(Path.Combine(s.Root, "camera.png"));
        var raw = await s.Http.PostAsync("/api/search/image?k=3", new ByteArrayContent(bytes));
        var byRaw = JsonDocument.Parse(await raw.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("camera.png", byRaw[0].GetProperty("path").GetString());
        Assert.True(byRaw[0].GetProperty("score").GetSingle() > 0.999f);

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(File.ReadAllBytes(Path.Combine(s.Root, "rocket.jpg")));
        file.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        form.Add(file, "image", "rocket.jpg");
        var multipart = await s.Http.PostAsync("/api/search/image?k=3", form);
        var byForm = JsonDocument.Parse(await multipart.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("rocket.jpg", byForm[0].GetProperty("path").GetString());

        long id = s.Index.FindId("chelsea.png")!.Value;
        var similar = await GetJson($"/api/similar/{id}?k=5");
        Assert.Equal(id, similar[0].GetProperty("id").GetInt64());
        Assert.True(similar[0].GetProperty("score").GetSingle() > 0.999f);
        Assert.Equal(Scores(similar).OrderByDescending(x => x), Scores(similar));
        var strict = await GetJson($"/api/similar/{id}?min=0.999");
        Assert.Equal(1, strict.GetArrayLength());
    }

    [Fact]
    public async Task QueryArithmeticUsesIndexedImagesByPath()
    {
        var hits = await GetJson("/api/search?q=" + Uri.EscapeDataString("\"a cat\" + 2:chelsea.png"));
        Assert.Equal("chelsea.png", hits[0].GetProperty("path").GetString());
        var err = await GetJson("/api/search?q=" + Uri.EscapeDataString("cat + /etc/passwd.png"), HttpStatusCode.BadRequest);
        Assert.Contains("not an indexed image", err.GetProperty("error").GetString());
    }

    [Fact]
    public async Task ThumbnailsArePngsOfIndexedImagesOnly()
    {
        long id = s.Index.FindId("astronaut.png")!.Value;
        var thumb = await s.Http.GetAsync($"/thumb/{id}");
        Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
        Assert.Equal("image/png", thumb.Content.Headers.ContentType?.MediaType);
        var png = await thumb.Content.ReadAsByteArrayAsync();
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var frame = Imaging.ImageDecoder.Decode(png, "thumb");
        Assert.Equal(192, Math.Max(frame.Width, frame.Height));   // astronaut.png is 512×512
        Assert.Equal(png, await s.Http.GetByteArrayAsync($"/thumb/{id}"));   // cached: same bytes
        Assert.True(s.Server.ThumbnailCacheBytes >= png.Length);

        // A thumbnail is Pillow's BICUBIC resize of the RGB image, bit for bit.
        var source = Imaging.Conversion.RgbConverter.ToRgb(Imaging.ImageDecoder.Decode(Fixtures.Path("vit-tiny", "images", "astronaut.png")));
        var expected = Imaging.Resampling.Resampler.Resize(source, 192, 192, Imaging.Resampling.ResampleFilter.Bicubic);
        Assert.Equal(expected.Pixels, frame.Pixels);
    }

    [Theory]
    [InlineData("/thumb/99999")]
    [InlineData("/thumb/..%2F..%2Fetc%2Fpasswd")]
    [InlineData("/thumb/../../etc/passwd")]
    [InlineData("/thumb/corrupt.png")]
    [InlineData("/thumb/astronaut.png")]
    [InlineData("/corrupt.png")]
    [InlineData("/astronaut.png")]
    [InlineData("/api/similar/424242")]
    [InlineData("/api/similar/astronaut.png")]
    [InlineData("/.clipsharp/index.db")]
    public async Task NothingOutsideTheIndexIsServed(string url)
    {
        var r = await s.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.NotEqual("image/png", r.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("/api/search")]
    [InlineData("/api/search?q=%20")]
    [InlineData("/api/search?q=cat&k=abc")]
    [InlineData("/api/search?q=cat&k=0")]
    [InlineData("/api/search?q=cat&k=-3")]
    [InlineData("/api/search?q=cat&min=high")]
    [InlineData("/api/search?q=cat%20-%20cat")]
    [InlineData("/api/search?q=%222:dog")]
    [InlineData("/api/similar/1?k=x")]
    [InlineData("/api/search?q=LONG")]
    [InlineData("/api/search?q=MANY")]
    public async Task BadQueriesAreJson400s(string url)
    {
        url = url.Replace("LONG", new string('a', SearchServer.MaxQueryLength + 1))
                 .Replace("MANY", string.Join("%20%2B%20", Enumerable.Repeat("cat", SearchServer.MaxQueryTerms + 1)));
        var err = await GetJson(url, HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrWhiteSpace(err.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task BadUploadsAreJson400s()
    {
        foreach (var body in new[] { ""u8.ToArray(), "nope, not an image"u8.ToArray(), File.ReadAllBytes(Path.Combine(s.Root, "astronaut.png"))[..200] })
        {
            var r = await s.Http.PostAsync("/api/search/image", new ByteArrayContent(body));
            var text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{body.Length} bytes: {(int)r.StatusCode} {text}");
            Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()));
        }
        using var emptyForm = new MultipartFormDataContent { { new StringContent("x"), "note" } };
        Assert.Equal(HttpStatusCode.BadRequest, (await s.Http.PostAsync("/api/search/image", emptyForm)).StatusCode);
    }

    [Fact]
    public async Task ThePageAndItsAssetsAreServed()
    {
        var page = await s.Http.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<form id=\"search\"", html);
        Assert.Contains("/app.js", html);
        Assert.Contains("function show(", await s.Http.GetStringAsync("/app.js"));
        Assert.Contains("#grid", await s.Http.GetStringAsync("/app.css"));
        var info = await GetJson("/api/info");
        Assert.Equal(5, info.GetProperty("images").GetInt32());
        Assert.Equal("model.safetensors", info.GetProperty("model").GetString());
        Assert.Equal(64, info.GetProperty("dimension").GetInt32());
        Assert.StartsWith("http://127.0.0.1:", s.Server.Url);
    }
}
