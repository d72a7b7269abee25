using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ClipSharp.Search.Store.Postgres;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

/// <summary>Starts PGlite (real Postgres in WASM, with pgvector) through scripts/pglite.sh on a free 127.0.0.1 port; fails loudly if it does not start.</summary>
public sealed class PgliteServer : IDisposable
{
    private readonly Process _proc;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "clipsharp-pglite-" + Guid.NewGuid().ToString("N"));
    public string Url { get; }

    public PgliteServer()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "scripts", "pglite.sh"))) repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("scripts/pglite.sh not found above the test folder");
        var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); int port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop();
        _proc = Process.Start(new ProcessStartInfo("bash", [Path.Combine(repo, "scripts", "pglite.sh"), "start", _dir, port.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var log = new System.Text.StringBuilder();
        _proc.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _proc.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _proc.BeginOutputReadLine(); _proc.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            lock (log) if (log.ToString().Contains("listening")) break;
            if (_proc.HasExited || DateTime.UtcNow > until)
                throw new InvalidOperationException($"PGlite did not start on port {port}: {log}");
            Thread.Sleep(200);
        }
        Url = $"postgres://postgres:postgres@127.0.0.1:{port}/postgres";
    }

    public void Dispose()
    {
        try { _proc.Kill(entireProcessTree: true); _proc.WaitForExit(10_000); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

public class PgVectorStoreTests : IClassFixture<PgliteServer>
{
    private readonly PgliteServer _pg;
    public PgVectorStoreTests(PgliteServer pg) => _pg = pg;

    [Fact]
    public void ConnectionStringsAndDetection()
    {
        Assert.True(PgVectorStore.IsPostgres("postgres://u:p@h:5433/d"));
        Assert.True(PgVectorStore.IsPostgres("Host=h;Database=d"));
        Assert.False(PgVectorStore.IsPostgres("/tmp/index.db"));
        var cs = PgVectorStore.ToConnectionString("postgres://u:p%40x@h:5433/d");
        Assert.Contains("Host=h", cs); Assert.Contains("Port=5433", cs); Assert.Contains("Password=p@x", cs); Assert.Contains("Database=d", cs);
    }

    [Fact]
    public void WorkersClaimDisjointBatchesExpiredLeasesAreTakenOverAndSearchMatchesExact()
    {
        const int n = 60, d = 8;
        var rows = TestVectors.RandomUnits(7, n, d);
        using var store = PgVectorStore.Open(_pg.Url, "test-model", d);
        Assert.Throws<IndexMismatchException>(() => PgVectorStore.Open(_pg.Url, "other-model", d).Dispose());
        Assert.Equal(n, store.Enqueue(Enumerable.Range(0, n).Select(i => ($"img{i:D3}.png", 10L + i, 100L + i))));
        Assert.Equal(0, store.Enqueue([("img000.png", 1L, 1L)]));

        // a worker that claims and dies: its lease (1 s) expires and others take its files
        var dead = store.Claim("dead", 5, TimeSpan.FromSeconds(1));
        Assert.Equal(5, dead.Count);
        Thread.Sleep(1500);

        var seen = new System.Collections.Concurrent.ConcurrentBag<long>();
        void Work(string name)
        {
            using var s = PgVectorStore.Open(_pg.Url, "test-model", d);
            while (true)
            {
                var claim = s.Claim(name, 7, TimeSpan.FromMinutes(5));
                if (claim.Count == 0) return;
                foreach (var c in claim) seen.Add(c.Id);
                var results = claim.Select(c => (c.Id, (float[]?)rows[int.Parse(c.Path[3..6])], 4, 3, (string?)null)).ToList();
                Assert.Equal(claim.Count, s.Complete(name, results));
            }
        }
        Parallel.Invoke(() => Work("a"), () => Work("b"));
        Assert.Equal(n, seen.Count);
        Assert.Equal(n, seen.Distinct().Count());
        // the dead worker's late commit is refused: its claims were taken over
        Assert.Equal(0, store.Complete("dead", dead.Select(c => (c.Id, (float[]?)rows[0], 1, 1, (string?)null)).ToList()));
        Assert.Equal((0L, (long)n, 0L), store.Counts());

        var matrix = new EmbeddingMatrix(n, d, rows.SelectMany(r => r).ToArray());
        foreach (int qi in new[] { 0, 13, 42 })
        {
            var exact = ExactSearch.Search(matrix, rows[qi], 10, float.NegativeInfinity, 1);
            var pg = store.Search(rows[qi], 10);
            Assert.Equal(10, pg.Count);
            Assert.Equal($"img{qi:D3}.png", pg[0].Path);
            for (int i = 0; i < 10; i++) Assert.Equal(exact[i].Score, pg[i].Score, 4);
        }
    }
}
