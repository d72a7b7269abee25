using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Web.Tests;

/// <summary>The HTTP API and page over a real index of the fixture images (vit-tiny model).</summary>
public class SearchServerTests
{
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    [Fact]
    public async Task ApiServesIndexedImagesOnly()
    {
        var root = Directory.CreateTempSubdirectory("clipsharp-web-").FullName;
        try
        {
            foreach (var f in new[] { "astronaut.png", "rocket.jpg", "camera.png", "chelsea.png", "logo.png" })
                File.Copy(Fixtures.Path("vit-tiny", "images", f), Path.Combine(root, f));
            File.WriteAllText(Path.Combine(root, "corrupt.png"), "not a png");
            var modelPath = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
            var embedder = new ClipImageEmbedder(ClipPipeline.Load(modelPath, new ComputeContext(2)), modelPath);
            using var index = ImageIndex.Open(root);
            var report = await index.SyncAsync(embedder);
            Assert.Equal(5, report.Added);
            Assert.Single(report.Failures);

            int port = FreePort();
            await using var server = new SearchServer(index, embedder, "127.0.0.1", port);
            await server.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

            var page = await http.GetStringAsync("/");
            Assert.Contains("<form id=\"search\"", page);

            var hits = JsonDocument.Parse(await http.GetStringAsync("/api/search?q=a%20photo%20of%20a%20rocket&k=10")).RootElement;
            Assert.Equal(5, hits.GetArrayLength());
            var scores = hits.EnumerateArray().Select(h => h.GetProperty("score").GetSingle()).ToArray();
            Assert.Equal(scores.OrderByDescending(s => s), scores);

            // An image searched by itself (upload) comes first.
            var upload = await http.PostAsync("/api/search/image?k=3", new ByteArrayContent(File.ReadAllBytes(Path.Combine(root, "camera.png"))));
            var similar = JsonDocument.Parse(await upload.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("camera.png", similar[0].GetProperty("path").GetString());
            Assert.True(similar[0].GetProperty("score").GetSingle() > 0.999f);

            long id = similar[0].GetProperty("id").GetInt64();
            var thumb = await http.GetAsync($"/thumb/{id}");
            Assert.Equal(HttpStatusCode.OK, thumb.StatusCode);
            Assert.Equal("image/png", thumb.Content.Headers.ContentType?.MediaType);
            var bytes = await thumb.Content.ReadAsByteArrayAsync();
            Assert.Equal(0x89, bytes[0]);

            // Nothing outside the index: unknown ids, path-like ids and traversal are refused.
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/thumb/99999")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/thumb/..%2F..%2Fetc%2Fpasswd")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/thumb/corrupt.png")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/corrupt.png")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/api/search")).StatusCode);
            var bad = await http.PostAsync("/api/search/image", new ByteArrayContent("nope"u8.ToArray()));
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/similar/424242")).StatusCode);

            await DriveThePageInChromium($"http://127.0.0.1:{port}");
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>
    /// Debian's chromium, headless, driven by Playwright (no browser download): type a query, see the
    /// grid, click a result, see the grid update; the screenshot is kept beside the test output.
    /// </summary>
    private static async Task DriveThePageInChromium(string url)
    {
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new FileNotFoundException($"{chromium} is missing: scripts/test.sh installs Debian's chromium package", chromium);
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1000, Height = 700 } });
        await page.GotoAsync(url);
        await page.FillAsync("#q", "a photo of a rocket");
        await page.PressAsync("#q", "Enter");
        await page.WaitForSelectorAsync(".hit img");
        Assert.Equal(5, await page.Locator(".hit").CountAsync());
        Assert.Contains("a photo of a rocket", await page.InnerTextAsync("#status"));
        await page.Locator(".hit").Nth(2).ClickAsync();
        await page.WaitForFunctionAsync("document.getElementById('status').textContent.includes('images like')");
        var shot = Path.Combine(AppContext.BaseDirectory, "search-page.png");
        await page.ScreenshotAsync(new() { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 1000);
    }
}
