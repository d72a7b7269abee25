using System.Net;

namespace ClipSharp.Web.Tests;

/// <summary>
/// `serve --query-cache 0 --no-batching` (the configuration the load test measures as "before"): every text
/// query runs its own forward pass, with nothing cached, queued or shared, and answers as the default server does.
/// </summary>
public class QueryCacheOffTests(IndexedServer s) : IClassFixture<IndexedServer>
{
    private async Task<T> WithServer<T>(SearchServerOptions options, Func<SearchServer, HttpClient, Task<T>> body)
    {
        await using var server = new SearchServer(s.Index, s.Embedder, options with { Port = 0 });
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        return await body(server, http);
    }

    private static string Url(string q) => "/api/search?k=3&q=" + Uri.EscapeDataString(q);

    [Fact]
    public async Task WithTheCacheOffARepeatedQueryIsEmbeddedAgain()
    {
        var (stats, first, second) = await WithServer(new SearchServerOptions { QueryCacheEntries = 0 }, async (server, http) =>
        {
            var a = await http.GetStringAsync(Url("a rocket"));
            var b = await http.GetStringAsync(Url("a rocket"));
            return (server.TextQueryStats, a, b);
        });
        Assert.Equal(first, second);
        Assert.Equal((2L, 2L, 0L), stats);
    }

    [Fact]
    public async Task WithBatchingOffEveryConcurrentQueryRunsItsOwnPass()
    {
        // Twelve requests, six distinct texts each asked twice at once: batching would share passes and the
        // in-flight texts; with it off there is one pass per request, whatever the timing.
        var queries = Enumerable.Range(0, 12).Select(i => $"unbatched query {i % 6}").ToArray();
        var (stats, answers) = await WithServer(new SearchServerOptions { QueryCacheEntries = 0, TextBatchSize = 1 }, async (server, http) =>
        {
            var responses = await Task.WhenAll(queries.Select(q => http.GetAsync(Url(q))));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
            var bodies = await Task.WhenAll(responses.Select(r => r.Content.ReadAsStringAsync()));
            return (server.TextQueryStats, bodies);
        });
        Assert.Equal((12L, 12L, 0L), stats);
        // The same answers the default server (cache and batching on) gives.
        for (int i = 0; i < 6; i++)
            Assert.Equal(await s.Http.GetStringAsync(Url(queries[i])), answers[i]);
    }

    [Fact]
    public async Task WithBatchingOffTheCacheStillAnswersRepeats()
    {
        var stats = await WithServer(new SearchServerOptions { TextBatchSize = 1 }, async (server, http) =>
        {
            await http.GetStringAsync(Url("a camera"));
            await http.GetStringAsync(Url("a camera"));
            return server.TextQueryStats;
        });
        Assert.Equal((1L, 1L, 1L), stats);
    }
}

/// <summary>The batcher alone, with an encoder whose first pass waits until every request has been made.</summary>
public class TextEmbeddingBatcherTests
{
    private static async Task<(long Passes, long Embedded, float[][] Results)> SameTextFourTimesAtOnce(int maxBatch)
    {
        using var release = new ManualResetEventSlim();
        int calls = 0;
        float[][] Embed(IReadOnlyList<string> texts)
        {
            if (Interlocked.Increment(ref calls) == 1 && !release.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("never released");
            return texts.Select(t => new[] { (float)t.Length }).ToArray();
        }
        var batcher = new TextEmbeddingBatcher("model", Embed, maxBatch, cacheEntries: 0);
        var tasks = Enumerable.Range(0, 4).Select(_ => batcher.EmbedAsync("a dog")).ToArray();
        release.Set();
        var results = await Task.WhenAll(tasks);
        return (batcher.ForwardPasses, batcher.TextsEmbedded, results);
    }

    [Fact]
    public async Task BatchingSharesOneEmbeddingAmongConcurrentRequestsForOneText()
    {
        var (passes, embedded, results) = await SameTextFourTimesAtOnce(maxBatch: 32);
        Assert.Equal((1L, 1L), (passes, embedded));
        Assert.All(results, r => Assert.Equal([5f], r));
    }

    [Fact]
    public async Task WithBatchingOffEachRequestRunsItsOwnPass()
    {
        var (passes, embedded, results) = await SameTextFourTimesAtOnce(maxBatch: 1);
        Assert.Equal((4L, 4L), (passes, embedded));
        Assert.All(results, r => Assert.Equal([5f], r));
    }
}
