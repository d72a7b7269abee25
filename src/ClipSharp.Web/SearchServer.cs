using System.Globalization;
using ClipSharp.Search.Embedding;
using ClipSharp.Imaging;
using ClipSharp.Search.Query;
using ClipSharp.Search.Sync;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ClipSharp.Web;

/// <summary>
/// The search page and its HTTP API over one <see cref="ImageIndex"/>:
/// <list type="bullet">
/// <item><c>GET /</c>, <c>/app.js</c>, <c>/app.css</c>: the page (embedded resources);</item>
/// <item><c>GET /api/info</c>: image count, model file name, dimension;</item>
/// <item><c>GET /api/search?q=&amp;k=&amp;min=</c>: text search; <c>q</c> may use query arithmetic
/// (<c>"2:dog" - "grass"</c>) whose image terms name indexed images by their relative path;</item>
/// <item><c>POST /api/search/image?k=&amp;min=</c>: search by an uploaded image (raw body or multipart file);</item>
/// <item><c>GET /api/similar/{id}?k=&amp;min=</c>: images like an indexed one;</item>
/// <item><c>GET /thumb/{id}</c>: PNG thumbnail of an indexed image.</item>
/// </list>
/// Results are JSON arrays of <c>{id, path, score, thumb}</c>, best first, with <c>path</c> relative to the
/// indexed folder. Files are only reached through indexed ids: no route takes a path, so nothing outside
/// the index can be read or listed. Bad input is answered <c>{"error": ...}</c> with status 400, unknown
/// ids with 404. Forward passes run one at a time (each uses all of the model's threads); text queries
/// are served from a cache of query embeddings or batched into one pass (<see cref="TextEmbeddingBatcher"/>).
/// Uploads are bounded in size (413, from Content-Length before reading, or as soon as a chunked body
/// passes the cap) and in number at once (429 when full), and decoded outside the model lock within
/// <see cref="SearchServerOptions.UploadDecodeLimits"/> and <see cref="SearchServerOptions.UploadDecodeTimeout"/>.
/// Thumbnails are read only from files whose real path is still inside the indexed folder.
/// </summary>
public sealed class SearchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ISearchableIndex _index;
    private readonly ClipImageEmbedder _embedder;
    private readonly SearchServerOptions _options;
    private readonly ThumbnailCache _thumbs;
    private readonly Lock _model = new();
    private readonly TextEmbeddingBatcher _texts;
    private readonly SemaphoreSlim _uploads;

    /// <summary>Limits on one text query (each term is a forward pass of the text tower).</summary>
    public const int MaxQueryLength = 2000, MaxQueryTerms = 16;

    /// <param name="index">The SQLite index or a Postgres collection; it must know its folder (<see cref="ISearchableIndex.Root"/>), where thumbnails are read.</param>
    public SearchServer(ISearchableIndex index, ClipImageEmbedder embedder, SearchServerOptions? options = null)
    {
        _index = index;
        var root = index.Root ?? throw new ArgumentException($"{index.DatabasePath}: serving needs the indexed folder (give --dir)");
        _embedder = embedder;
        _options = options ?? new SearchServerOptions();
        _thumbs = new ThumbnailCache(_options.ThumbnailSize, _options.ThumbnailCacheBytes, confineTo: root);
        _texts = new TextEmbeddingBatcher(embedder.ModelId, EmbedTexts, _options.TextBatchSize, _options.QueryCacheEntries);
        _uploads = new SemaphoreSlim(_options.MaxConcurrentUploads, _options.MaxConcurrentUploads);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://{FormatHost(_options.Host)}:{_options.Port}"));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = _options.MaxUploadBytes + ImageUpload.FormOverheadBytes);
        _app = builder.Build();
        _app.Use(ErrorsAsJson);
        foreach (var path in StaticAssets.Files.Keys) _app.MapGet(path, () => StaticAssets.Serve(path));
        _app.MapGet("/api/info", () => Results.Json(new
        {
            images = _index.Count,
            model = Path.GetFileName(_embedder.ModelId.TrimEnd('/')),
            dimension = _embedder.Dimension,
        }));
        _app.MapGet("/api/search", async (HttpRequest r) => Results.Json(await SearchTextAsync(r)));
        _app.MapPost("/api/search/image", async (HttpRequest r, CancellationToken ct) => Results.Json(await SearchImageAsync(r, ct)));
        _app.MapGet("/api/similar/{id:long}", (long id, HttpRequest r) =>
        {
            var (k, min) = (ResultCount(r), MinScore(r));
            return _index.GetIndexed(id, withEmbedding: true)?.Embedding is { } v ? Results.Json(Hits(v, k, min)) : NotFound(id);
        });
        _app.MapGet("/thumb/{id:long}", (long id, HttpContext c) => Thumbnail(id, c));
    }

    /// <summary>The address the server listens on (with the real port once started, also when 0 was asked).</summary>
    public string Url =>
        _app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
        ?? _app.Urls.FirstOrDefault() ?? "";

    /// <summary>Text-tower forward passes run for queries, texts they embedded, and queries answered from the cache.</summary>
    public (long ForwardPasses, long TextsEmbedded, long CacheHits) TextQueryStats => (_texts.ForwardPasses, _texts.TextsEmbedded, _texts.CacheHits);

    /// <summary>Memory held by cached thumbnails.</summary>
    public long ThumbnailCacheBytes => _thumbs.Bytes;

    public Task StartAsync(CancellationToken ct = default) => _app.StartAsync(ct);

    /// <summary>Completes when the server stops (Ctrl+C, SIGTERM) or <paramref name="ct"/> is cancelled.</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _uploads.Dispose();
    }

    private async Task<object> SearchTextAsync(HttpRequest r)
    {
        string? q = r.Query["q"];
        if (string.IsNullOrWhiteSpace(q)) throw new BadRequestException("missing query parameter q");
        IReadOnlyList<QueryTerm> terms;
        if (q.Length > MaxQueryLength) throw new BadRequestException($"q is {q.Length} characters long; at most {MaxQueryLength} are accepted");
        try { terms = QueryParser.Parse(q); }
        catch (QueryParseException e) { throw new BadRequestException(e.Message); }
        if (terms.Count > MaxQueryTerms) throw new BadRequestException($"q has {terms.Count} terms; at most {MaxQueryTerms} are accepted");
        var (k, min) = (ResultCount(r), MinScore(r));
        var texts = terms.Where(t => t.Kind == QueryTermKind.Text).Select(t => t.Value).Distinct().ToArray();
        var embedded = await Task.WhenAll(texts.Select(_texts.EmbedAsync));
        var byText = texts.Zip(embedded).ToDictionary(p => p.First, p => p.Second);
        float[] query;
        try { query = QueryCombiner.Combine(terms, t => byText[t], IndexedImage); }
        catch (ArgumentException e) { throw new BadRequestException(e.Message); }
        return Hits(query, k, min);
    }

    /// <summary>One forward pass of the text tower for a batch of queries (the model runs one pass at a time).</summary>
    private float[][] EmbedTexts(IReadOnlyList<string> texts)
    {
        lock (_model) return _embedder.EmbedTexts(texts);
    }

    /// <summary>
    /// An uploaded image's hits. At most <see cref="SearchServerOptions.MaxConcurrentUploads"/> are read and
    /// decoded at once (429 beyond); decoding runs outside the model lock, within the upload budget and time
    /// limit, so a decompression bomb costs its header and nobody else waits for it.
    /// </summary>
    private async Task<object> SearchImageAsync(HttpRequest r, CancellationToken ct)
    {
        var (k, min) = (ResultCount(r), MinScore(r));
        if (!_uploads.Wait(0))
            throw new BadRequestException($"{_options.MaxConcurrentUploads} image uploads are already being processed; retry in a moment", StatusCodes.Status429TooManyRequests);
        try
        {
            var (data, name) = await ImageUpload.ReadAsync(r, _options.MaxUploadBytes, ct);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(_options.UploadDecodeTimeout);
            PreparedImage prepared;
            try { prepared = _embedder.Prepare(data, name, _options.UploadDecodeLimits with { Cancellation = deadline.Token }); }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException) { throw new BadRequestException(e.Message); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new BadRequestException($"{name}: decoding took longer than {_options.UploadDecodeTimeout.TotalSeconds:0.#} s; refused");
            }
            ReturnDecodeMemory(prepared);
            float[] query;
            lock (_model) query = _embedder.EmbedPrepared(prepared);
            return Hits(query, k, min);
        }
        finally { _uploads.Release(); }
    }

    private long _lastReturn;

    /// <summary>
    /// After a large upload (a decoded frame of 32 MB or more) the frame and its working buffers are garbage; a
    /// compacting collection that decommits hands that memory back to the OS instead of keeping the process at its
    /// peak (at most once a second, so a stream of large uploads does not turn into a stream of collections).
    /// </summary>
    private void ReturnDecodeMemory(PreparedImage prepared)
    {
        if ((long)prepared.Width * prepared.Height * 4 < 32L << 20) return;
        long now = Environment.TickCount64, last = Interlocked.Read(ref _lastReturn);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _lastReturn, now, last) != last) return;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    /// <summary>An image term of a text query: only indexed images, by their path relative to the root.</summary>
    private float[] IndexedImage(string relativePath) =>
        _index.FindId(relativePath) is { } id && _index.GetIndexed(id, withEmbedding: true)?.Embedding is { } v ? v
        : throw new BadRequestException($"image term '{relativePath}' is not an indexed image (upload other images to /api/search/image)");

    private object Hits(float[] query, int k, float? min) =>
        _index.Search(query, k, min)
            .Select(h => new { id = h.Id, path = h.RelativePath, score = h.Score, thumb = $"/thumb/{h.Id}" }).ToList();

    private int ResultCount(HttpRequest r)
    {
        string? k = r.Query["k"];
        if (string.IsNullOrEmpty(k)) return _options.DefaultResults;
        if (!int.TryParse(k, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) || n < 1)
            throw new BadRequestException($"k must be a positive integer (at most {_options.MaxResults} are returned), got '{k}'");
        return Math.Min(n, _options.MaxResults);
    }

    private static float? MinScore(HttpRequest r)
    {
        string? m = r.Query["min"];
        if (string.IsNullOrEmpty(m)) return null;
        if (!float.TryParse(m, NumberStyles.Float, CultureInfo.InvariantCulture, out float s) || !float.IsFinite(s))
            throw new BadRequestException($"min must be a number (a cosine similarity), got '{m}'");
        return s;
    }

    private IResult Thumbnail(long id, HttpContext c)
    {
        var path = _index.GetIndexed(id, withEmbedding: false)?.FullPath;
        if (path == null) return NotFound(id);
        try
        {
            var png = _thumbs.Get(id, path);
            c.Response.Headers.CacheControl = "private, max-age=3600";
            return Results.Bytes(png, "image/png");
        }
        catch (OutsideRootException)
        {
            return Results.Json(new { error = $"image {id} now lies outside the indexed folder (a link swapped in after indexing?); not served" },
                statusCode: StatusCodes.Status403Forbidden);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Results.Json(new { error = $"image {id} can no longer be read" }, statusCode: StatusCodes.Status404NotFound);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            return Results.Json(new { error = $"image {id} can no longer be decoded" }, statusCode: StatusCodes.Status404NotFound);
        }
    }

    private static IResult NotFound(long id) => Results.Json(new { error = $"no indexed image {id}" }, statusCode: StatusCodes.Status404NotFound);

    /// <summary>Refused requests become <c>{"error": ...}</c> with their status; anything unexpected a 500.</summary>
    private static async Task ErrorsAsJson(HttpContext c, RequestDelegate next)
    {
        c.Response.Headers.XContentTypeOptions = "nosniff";
        try { await next(c); }
        catch (Exception e) when (!c.Response.HasStarted && e is BadRequestException or BadHttpRequestException or OperationCanceledException)
        {
            int status = e switch
            {
                BadRequestException b => b.StatusCode,
                BadHttpRequestException h => h.StatusCode,
                _ => 499,
            };
            c.Response.Clear();
            c.Response.StatusCode = status;
            if (status == StatusCodes.Status429TooManyRequests) c.Response.Headers.RetryAfter = "1";
            if (status == StatusCodes.Status413PayloadTooLarge) c.Response.Headers.Connection = "close";   // do not drain the rest of the body
            await c.Response.WriteAsJsonAsync(new { error = e.Message });
        }
        catch (Exception e) when (!c.Response.HasStarted)
        {
            Console.Error.WriteLine($"clipsharp serve: {c.Request.Method} {c.Request.Path}: {e}");
            c.Response.Clear();
            c.Response.StatusCode = StatusCodes.Status500InternalServerError;
            await c.Response.WriteAsJsonAsync(new { error = "internal error (logged by the server)" });
        }
    }

    private static string FormatHost(string host) => host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
}
