using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Web.Tests;

/// <summary>
/// Issue 19's hostile requests: malformed forms, a lying Content-Length, a decompression bomb, and the
/// text-query cache. Every refusal must be a JSON 4xx, never a 500.
/// </summary>
public class HostileRequestTests(IndexedServer s) : IClassFixture<IndexedServer>
{
    private async Task<(HttpStatusCode Status, JsonElement Body)> Post(HttpContent content, string url = "/api/search/image?k=3")
    {
        var r = await s.Http.PostAsync(url, content);
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.Content.Headers.ContentType?.MediaType == "application/json", $"{(int)r.StatusCode}: not JSON: {text}");
        return (r.StatusCode, JsonDocument.Parse(text).RootElement);
    }

    private static ByteArrayContent Body(string body, string? contentType)
    {
        var c = new ByteArrayContent(Encoding.ASCII.GetBytes(body));
        c.Headers.Remove("Content-Type");
        if (contentType != null) c.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return c;
    }

    public static TheoryData<string, string, string> MalformedForms()
    {
        const string part = "Content-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\nnot an image\r\n";
        var manyParts = new StringBuilder();
        for (int i = 0; i < 1100; i++) manyParts.Append($"--b\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n");
        manyParts.Append("--b--\r\n");
        return new()
        {
            { "no boundary", "multipart/form-data", "--b\r\n" + part + "--b--\r\n" },
            { "boundary over 128 characters", "multipart/form-data; boundary=" + new string('b', 200), "--" + new string('b', 200) + "\r\n" + part },
            { "unterminated", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\nabc" },
            { "mismatched boundary", "multipart/form-data; boundary=b", "--c\r\n" + part + "--c--\r\n" },
            { "part header over 16 KB", "multipart/form-data; boundary=b", "--b\r\nX-Long: " + new string('x', 20_000) + "\r\n" + part + "--b--\r\n" },
            { "over 1024 parts", "multipart/form-data; boundary=b", manyParts.ToString() },
            { "urlencoded key over 2048", "application/x-www-form-urlencoded", new string('k', 5000) + "=v" },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedForms))]
    public async Task MalformedFormsAreJson4xxNot500(string what, string contentType, string body)
    {
        var (status, json) = await Post(Body(body, contentType));
        Assert.True(status is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, $"{what}: {(int)status} {json}");
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetString()), what);
    }

    [Fact]
    public async Task ARawImageWithoutContentTypeIsSearched()
    {
        var (status, json) = await Post(RawWithoutType(File.ReadAllBytes(Path.Combine(s.Root, "camera.png"))));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("camera.png", json[0].GetProperty("path").GetString());
    }

    private static ByteArrayContent RawWithoutType(byte[] bytes)
    {
        var c = new ByteArrayContent(bytes);
        c.Headers.Remove("Content-Type");
        return c;
    }

    [Fact]
    public async Task AOneGigabyteUploadIsRefusedWithoutReadingIt()
    {
        var uri = new Uri(s.Http.BaseAddress!, "/api/search/image");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        using var stream = tcp.GetStream();
        var head = $"POST /api/search/image HTTP/1.1\r\nHost: {uri.Host}:{uri.Port}\r\nContent-Type: image/jpeg\r\nContent-Length: {1L << 30}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(new byte[4096]);   // a few KB of the promised gigabyte, then wait for the answer
        var sw = Stopwatch.StartNew();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        int n = await stream.ReadAsync(buffer, timeout.Token);
        var response = Encoding.ASCII.GetString(buffer, 0, n);
        Assert.StartsWith("HTTP/1.1 413", response);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"answered after {sw.Elapsed}");
    }

    [Fact]
    public async Task ADecompressionBombUploadIsRefusedQuickly()
    {
        // A real JPEG whose frame header is rewritten to declare 13000 x 13000 pixels.
        var jpeg = File.ReadAllBytes(Path.Combine(s.Root, "rocket.jpg"));
        int sof = -1;
        for (int i = 2; i + 9 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC1 or 0xC2) { sof = i; break; }
        Assert.True(sof > 0, "fixture JPEG has no frame header");
        jpeg[sof + 5] = 13000 >> 8; jpeg[sof + 6] = 13000 & 0xFF;   // height
        jpeg[sof + 7] = 13000 >> 8; jpeg[sof + 8] = 13000 & 0xFF;   // width
        var sw = Stopwatch.StartNew();
        var content = new ByteArrayContent(jpeg);
        content.Headers.ContentType = new("image/jpeg");
        var (status, json) = await Post(content);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("error").GetString()));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"answered after {sw.Elapsed}");
        // The server still answers searches afterwards.
        Assert.Equal(HttpStatusCode.OK, (await s.Http.GetAsync("/api/search?q=rocket&k=1")).StatusCode);
    }

    [Fact]
    public async Task RepeatedTextQueriesAreServedFromTheCache()
    {
        string q = "a hostile-tests query " + Guid.NewGuid().ToString("N");
        var before = s.Server.TextQueryStats;
        var first = await (await s.Http.GetAsync("/api/search?k=3&q=" + Uri.EscapeDataString(q))).Content.ReadAsStringAsync();
        var mid = s.Server.TextQueryStats;
        var second = await (await s.Http.GetAsync("/api/search?k=3&q=" + Uri.EscapeDataString(q))).Content.ReadAsStringAsync();
        var after = s.Server.TextQueryStats;
        Assert.Equal(first, second);
        Assert.Equal(before.TextsEmbedded + 1, mid.TextsEmbedded);
        Assert.Equal(mid.TextsEmbedded, after.TextsEmbedded);   // the second answer embedded nothing
        Assert.Equal(mid.CacheHits + 1, after.CacheHits);
    }

    [Fact]
    public async Task ConcurrentDistinctQueriesShareForwardPasses()
    {
        var before = s.Server.TextQueryStats;
        var queries = Enumerable.Range(0, 24).Select(i => $"concurrent query {i} {Guid.NewGuid():N}").ToArray();
        var answers = await Task.WhenAll(queries.Select(q => s.Http.GetAsync("/api/search?k=2&q=" + Uri.EscapeDataString(q))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var after = s.Server.TextQueryStats;
        Assert.Equal(before.TextsEmbedded + queries.Length, after.TextsEmbedded);
        Assert.True(after.ForwardPasses - before.ForwardPasses <= queries.Length);
        // Each answer equals the one a single query gets.
        var single = await (await s.Http.GetAsync("/api/search?k=2&q=" + Uri.EscapeDataString(queries[5]))).Content.ReadAsStringAsync();
        Assert.Equal(single, await answers[5].Content.ReadAsStringAsync());
    }
}

/// <summary>Issue 19 item 6: a file swapped for a link after indexing is not followed by /thumb.</summary>
public class SymlinkSwapTests(IndexedServer s) : IClassFixture<IndexedServer>
{
    [Fact]
    public async Task AThumbnailOfAFileSwappedForAnOutsideLinkIsRefused()
    {
        long id = s.Index.FindId("logo.png")!.Value;
        var outside = Directory.CreateTempSubdirectory("clipsharp-outside-").FullName;
        try
        {
            var secret = Path.Combine(outside, "secret.png");
            File.Copy(Fixtures.Path("vit-tiny", "images", "camera.png"), secret);
            var target = Path.Combine(s.Root, "logo.png");
            File.Delete(target);
            File.CreateSymbolicLink(target, secret);
            var r = await s.Http.GetAsync($"/thumb/{id}");
            Assert.True(r.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.NotFound, $"{(int)r.StatusCode}");
            Assert.Equal("application/json", r.Content.Headers.ContentType?.MediaType);
            // Another, untouched image still gets its thumbnail.
            var ok = await s.Http.GetAsync($"/thumb/{s.Index.FindId("camera.png")!.Value}");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        finally { Directory.Delete(outside, true); }
    }
}
