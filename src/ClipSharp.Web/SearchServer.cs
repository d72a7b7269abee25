using System.Collections.Concurrent;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Encoding;
using ClipSharp.Imaging.Resampling;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClipSharp.Web;

/// <summary>
/// The search page and its HTTP API over one <see cref="ImageIndex"/>:
/// GET / (the page), GET /api/search?q=&amp;k=, POST /api/search/image (raw image body),
/// GET /api/similar/{id}?k=, GET /thumb/{id}. Files are only ever reached through indexed ids:
/// there is no path parameter anywhere, so nothing outside the index can be served.
/// </summary>
public sealed class SearchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ImageIndex _index;
    private readonly ClipImageEmbedder _embedder;
    private readonly ConcurrentDictionary<long, byte[]> _thumbs = new();
    private readonly object _gate = new();

    public SearchServer(ImageIndex index, ClipImageEmbedder embedder, string host = "127.0.0.1", int port = 8080)
    {
        _index = index;
        _embedder = embedder;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{host}:{port}");
        _app = builder.Build();
        _app.MapGet("/", () => Results.Content(Page(), "text/html; charset=utf-8"));
        _app.MapGet("/api/search", (string? q, int? k) => string.IsNullOrWhiteSpace(q)
            ? Results.BadRequest(new { error = "missing query parameter q" })
            : Results.Json(Hits(Embed(() => _embedder.EmbedText(q)), k)));
        _app.MapPost("/api/search/image", async (HttpRequest request, int? k) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            if (body.Length == 0) return Results.BadRequest(new { error = "empty body: POST the image bytes" });
            try
            {
                var prepared = _embedder.Prepare(body.ToArray(), "upload");
                var v = Embed(() => _embedder.EmbedBatch([prepared], CancellationToken.None)[0]);
                return Results.Json(Hits(Normalized(v), k));
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                return Results.BadRequest(new { error = e.Message });
            }
        });
        _app.MapGet("/api/similar/{id:long}", (long id, int? k) =>
            _index.GetEmbedding(id) is { } v ? Results.Json(Hits(v, k)) : Results.NotFound(new { error = $"no indexed image {id}" }));
        _app.MapGet("/thumb/{id:long}", (long id) =>
            Thumbnail(id) is { } png ? Results.Bytes(png, "image/png") : Results.NotFound());
    }

    /// <summary>The address the server listens on.</summary>
    public string Url => _app.Urls.FirstOrDefault() ?? "";

    public Task StartAsync(CancellationToken ct = default) => _app.StartAsync(ct);

    public Task WaitForShutdownAsync(CancellationToken ct = default) => Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(_app, ct);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private float[] Embed(Func<float[]> f)
    {
        lock (_gate) return f();   // one forward pass at a time; each uses all cores
    }

    private object Hits(float[] query, int? k) => _index.Search(query, Math.Clamp(k ?? 24, 1, 200))
        .Select(h => new { id = h.Id, path = h.RelativePath, score = h.Score, thumb = $"/thumb/{h.Id}" });

    private static float[] Normalized(float[] v)
    {
        float n = MathF.Sqrt(v.Sum(x => x * x));
        return n > 0 ? v.Select(x => x / n).ToArray() : v;
    }

    /// <summary>A PNG thumbnail (longest side 160 px, Pillow-exact bicubic) of an indexed image, cached.</summary>
    private byte[]? Thumbnail(long id)
    {
        if (_thumbs.TryGetValue(id, out var cached)) return cached;
        var image = _index.GetImage(id);
        var path = _index.GetPath(id);
        if (image is null || path is null) return null;
        try
        {
            var frame = Orientation.ApplyOrientation(ImageDecoder.Decode(Path.Combine(_index.Root, path)));
            var rgb = Imaging.Conversion.RgbConverter.ToRgb(frame);
            double scale = 160.0 / Math.Max(rgb.Width, rgb.Height);
            if (scale < 1) rgb = Resampler.Resize(rgb, Math.Max(1, (int)Math.Round(rgb.Width * scale)), Math.Max(1, (int)Math.Round(rgb.Height * scale)), ResampleFilter.Bicubic);
            return _thumbs[id] = PngWriter.Encode(rgb);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException)
        {
            return null;
        }
    }

    private static string Page()
    {
        using var s = typeof(SearchServer).Assembly.GetManifestResourceStream("ClipSharp.Web.index.html")!;
        return new StreamReader(s).ReadToEnd();
    }
}
