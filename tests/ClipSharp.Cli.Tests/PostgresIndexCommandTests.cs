using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using ClipSharp.Testing;
using ClipSharp.Search.Store.Postgres;
using Npgsql;

namespace ClipSharp.Cli.Tests;

/// <summary>Folders of fixture images (plus one corrupt file) for the Postgres CLI tests.</summary>
internal static class PgFolders
{
    public static readonly string Model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");

    /// <summary>Copies every fixture image <paramref name="copies"/> times (file names differ) and adds broken.jpg; returns the valid count.</summary>
    public static int Make(string root, int copies)
    {
        Directory.CreateDirectory(root);
        var images = Directory.GetFiles(Fixtures.Path("vit-tiny", "images"));
        Assert.NotEmpty(images);
        for (int c = 0; c < copies; c++)
            foreach (var f in images)
                File.Copy(f, Path.Combine(root, (c == 0 ? "" : $"c{c}-") + Path.GetFileName(f)));
        File.WriteAllText(Path.Combine(root, "broken.jpg"), "not a jpeg");
        return images.Length * copies;
    }

    public static (string Path, float Score)[] Hits(string stdout) =>
        stdout.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (e.GetProperty("path").GetString()!, e.GetProperty("score").GetSingle())).ToArray();
}

/// <summary>`clipsharp index DIR --db postgres://…` then `search --db postgres://…` gives SQLite's results.</summary>
[Collection("Console")]
public class PostgresIndexSearchTests : IClassFixture<PgliteServer>
{
    private readonly PgliteServer _pg;
    public PostgresIndexSearchTests(PgliteServer pg) => _pg = pg;

    [Fact]
    public void PostgresSearchMatchesSqlite()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        int valid = PgFolders.Make(root, copies: 1);

        var (code, outSqlite, errSqlite) = CliHarness.Run("index", root, "--model", PgFolders.Model);
        Assert.True(code == 0, errSqlite);
        var (codePg, outPg, errPg) = CliHarness.Run("index", root, "--model", PgFolders.Model, "--db", _pg.Url, "--batch", "4");
        Assert.True(codePg == 0, errPg);
        Assert.Contains($"this worker embedded {valid}, failed 1", outPg);
        Assert.Contains($"{valid} done, 1 failed, 0 pending", outPg);
        Assert.Contains("broken.jpg", errPg);

        // Re-running registers nothing new and embeds nothing.
        var (codeAgain, outAgain, errAgain) = CliHarness.Run("index", root, "--model", PgFolders.Model, "--db", _pg.Url);
        Assert.True(codeAgain == 0, errAgain);
        Assert.Contains("0 new in the collection, 0 changed, 0 removed; this worker embedded 0", outAgain);

        var queries = new[] { new[] { "a photo of a cat" }, ["a rocket on a launch pad"], ["coffee"], ["--image", Path.Combine(root, "camera.png")] };
        foreach (var q in queries)
        {
            var (c1, s, e1) = CliHarness.Run(["search", .. q, "--dir", root, "--top", "20", "--json"]);
            Assert.True(c1 == 0, e1);
            var (c2, p, e2) = CliHarness.Run(["search", .. q, "--db", _pg.Url, "--top", "20", "--json"]);
            Assert.True(c2 == 0, e2);
            var sqlite = PgFolders.Hits(s);
            var pg = PgFolders.Hits(p);
            Assert.Equal(valid, sqlite.Length);
            Assert.Equal(valid, pg.Length);
            var sqliteScore = sqlite.ToDictionary(h => h.Path, h => h.Score);
            for (int i = 0; i < valid; i++)
            {
                // same ranking, allowing ties: Postgres's i-th file has SQLite's i-th score
                Assert.True(MathF.Abs(sqlite[i].Score - pg[i].Score) < 1e-4f, $"{string.Join(' ', q)} rank {i}: {sqlite[i]} vs {pg[i]}");
                Assert.True(MathF.Abs(sqliteScore[pg[i].Path] - sqlite[i].Score) < 1e-4f, $"{string.Join(' ', q)} rank {i}: {sqlite[i]} vs {pg[i]}");
            }
        }

        var (c3, text, e3) = CliHarness.Run("search", "a photo of a cat", "--db", _pg.Url, "--top", "3");
        Assert.True(c3 == 0, e3);
        Assert.Equal(3, text.Trim().Split('\n').Length);
    }
}

/// <summary>Two `clipsharp index` processes started together on one Postgres collection share the work.</summary>
public class PostgresTwoWorkerTests : IClassFixture<PgliteServer>
{
    private readonly PgliteServer _pg;
    public PostgresTwoWorkerTests(PgliteServer pg) => _pg = pg;

    [Fact]
    public void TwoWorkersIndexEveryValidFileExactlyOnce()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        int valid = PgFolders.Make(root, copies: 3);

        var workers = new[] { StartCli(root), StartCli(root) };
        var outputs = workers.Select(w => (Out: w.StandardOutput.ReadToEndAsync(), Err: w.StandardError.ReadToEndAsync())).ToArray();
        foreach (var w in workers) Assert.True(w.WaitForExit(300_000), "an index worker did not finish in 5 minutes");
        int embedded = 0, failedReports = 0;
        for (int i = 0; i < workers.Length; i++)
        {
            string o = outputs[i].Out.Result, e = outputs[i].Err.Result;
            Assert.True(workers[i].ExitCode == 0, $"worker {i}: {o}\n{e}");
            var m = Regex.Match(o, @"this worker embedded (\d+), failed (\d+)");
            Assert.True(m.Success, o);
            embedded += int.Parse(m.Groups[1].Value);
            failedReports += int.Parse(m.Groups[2].Value);
        }
        Assert.Equal(valid, embedded); // each valid file embedded by exactly one worker
        Assert.Equal(1, failedReports); // the corrupt file reported by the worker that claimed it

        using var c = new NpgsqlConnection(PgVectorStore.ToConnectionString(_pg.Url));
        c.Open();
        using var cmd = new NpgsqlCommand("""
            SELECT count(*), count(DISTINCT path), count(*) FILTER (WHERE state = 'done' AND embedding IS NOT NULL),
                   count(*) FILTER (WHERE state = 'failed'), count(*) FILTER (WHERE state = 'pending'),
                   count(*) FILTER (WHERE state = 'failed' AND path = 'broken.jpg')
            FROM clipsharp_images
            """, c);
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(valid + 1L, r.GetInt64(0));
        Assert.Equal(valid + 1L, r.GetInt64(1));
        Assert.Equal((long)valid, r.GetInt64(2));
        Assert.Equal(1L, r.GetInt64(3));
        Assert.Equal(0L, r.GetInt64(4));
        Assert.Equal(1L, r.GetInt64(5));
    }

    private Process StartCli(string root) =>
        CliHarness.Start("index", root, "--model", PgFolders.Model, "--db", _pg.Url, "--batch", "2", "--threads", "1");
}

/// <summary>
/// Issue 16: `kill -9` of one `clipsharp index` worker mid-run on a Postgres collection, and a worker started
/// after it, leave every valid file embedded exactly once: what the killed worker committed stays as it was,
/// and the files it had claimed are taken over when its lease runs out.
/// </summary>
public class PostgresKilledWorkerTests : IClassFixture<PgliteServer>
{
    private readonly PgliteServer _pg;
    public PostgresKilledWorkerTests(PgliteServer pg) => _pg = pg;

    [Fact]
    public void AKilledWorkersFilesAreTakenOverWithoutDuplicates()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        int valid = PgFolders.Make(root, copies: 25);
        string[] args = ["index", root, "--model", PgFolders.Model, "--db", _pg.Url, "--batch", "2", "--threads", "1", "--lease", "3"];

        // Killed when it reports its first committed batch (the database itself cannot be watched meanwhile:
        // PGlite serves one connection's work at a time).
        var victim = CliHarness.Start(args);
        var victimOut = victim.StandardOutput.ReadToEndAsync();
        string? line;
        var seen = new System.Text.StringBuilder();
        while ((line = victim.StandardError.ReadLine()) != null && !line.StartsWith("Indexing: ", StringComparison.Ordinal)) seen.AppendLine(line);
        Assert.True(line != null, $"the worker exited without reporting progress: {seen}");
        victim.Kill(entireProcessTree: true);
        Assert.True(victim.WaitForExit(30_000));
        _ = victimOut.Result;
        var before = Done();
        Assert.True(before.Count >= 2 && before.Count < valid, $"{before.Count} of {valid} done when killed");

        var rerun = CliHarness.Start(args);
        var output = rerun.StandardOutput.ReadToEndAsync();
        var errors = rerun.StandardError.ReadToEndAsync();
        Assert.True(rerun.WaitForExit(300_000), "the second worker did not finish in 5 minutes");
        Assert.True(rerun.ExitCode == 0, $"{output.Result}\n{errors.Result}");
        Assert.Contains($"{valid} done, 1 failed, 0 pending", output.Result);

        var after = Done();
        Assert.Equal(valid, after.Count);
        foreach (var (path, id) in before) Assert.Equal(id, after[path]);   // committed work kept, not redone
        Assert.Equal(0L, Count("state = 'pending'"));
        Assert.Equal(valid + 1L, Count("true"));
        Assert.Equal(1L, Count("state = 'failed' AND path = 'broken.jpg'"));
    }

    private Dictionary<string, long> Done()
    {
        var rows = new Dictionary<string, long>();
        try
        {
            using var c = new NpgsqlConnection(PgVectorStore.ToConnectionString(_pg.Url));
            c.Open();
            using var cmd = new NpgsqlCommand("SELECT path, id FROM clipsharp_images WHERE state = 'done' AND embedding IS NOT NULL", c);
            using var r = cmd.ExecuteReader();
            while (r.Read()) rows.Add(r.GetString(0), r.GetInt64(1));
        }
        catch (PostgresException e) when (e.SqlState == "42P01") { }   // table not created yet
        return rows;
    }

    private long Count(string where)
    {
        using var c = new NpgsqlConnection(PgVectorStore.ToConnectionString(_pg.Url));
        c.Open();
        using var cmd = new NpgsqlCommand($"SELECT count(*) FROM clipsharp_images WHERE {where}", c);
        return (long)cmd.ExecuteScalar()!;
    }

}

/// <summary>Re-running `index --db postgres://…` after the folder changed: new files embedded, changed ones re-embedded, deleted ones dropped.</summary>
[Collection("Console")]
public class PostgresFolderChangeTests : IClassFixture<PgliteServer>
{
    private readonly PgliteServer _pg;
    public PostgresFolderChangeTests(PgliteServer pg) => _pg = pg;

    [Fact]
    public void ChangedFilesAreReembeddedAndDeletedOnesDropped()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        int valid = PgFolders.Make(root, copies: 1);
        string[] args = ["index", root, "--model", PgFolders.Model, "--db", _pg.Url, "--batch", "4"];
        var (code, first, err) = CliHarness.Run(args);
        Assert.True(code == 0, err);
        Assert.Contains($"{valid} done, 1 failed, 0 pending", first);

        // camera.png now holds the astronaut; rocket.jpg is gone; new.png arrives; broken.jpg is fixed.
        File.Copy(Path.Combine(root, "astronaut.png"), Path.Combine(root, "camera.png"), overwrite: true);
        File.SetLastWriteTimeUtc(Path.Combine(root, "camera.png"), DateTime.UtcNow.AddMinutes(1));
        File.Delete(Path.Combine(root, "rocket.jpg"));
        File.Copy(Path.Combine(root, "chelsea.png"), Path.Combine(root, "new.png"));
        File.Copy(Path.Combine(root, "chelsea.png"), Path.Combine(root, "broken.jpg"), overwrite: true);
        var (code2, second, err2) = CliHarness.Run(args);
        Assert.True(code2 == 0, err2);
        Assert.Contains("1 new in the collection, 2 changed, 1 removed; this worker embedded 3, failed 0", second);
        Assert.Contains($"collection: {valid + 1} done, 0 failed, 0 pending", second);

        var (c3, hits, e3) = CliHarness.Run("search", "--db", _pg.Url, "--image", Path.Combine(root, "astronaut.png"), "--top", "2", "--json");
        Assert.True(c3 == 0, e3);
        var top = PgFolders.Hits(hits);
        Assert.Equal(["astronaut.png", "camera.png"], top.Select(h => h.Path).Order());   // camera.png's new content
        Assert.All(top, h => Assert.True(h.Score > 0.999f, $"{h.Path}: {h.Score}"));
        var (c4, all, e4) = CliHarness.Run("search", "a photo", "--db", _pg.Url, "--top", "100", "--json");
        Assert.True(c4 == 0, e4);
        var paths = PgFolders.Hits(all).Select(h => h.Path).ToArray();
        Assert.DoesNotContain("rocket.jpg", paths);
        Assert.Contains("new.png", paths);
        Assert.Contains("broken.jpg", paths);
        Assert.Equal(valid + 1, paths.Length);

        // dupes on the collection: the copies made above are groups, as they are for the SQLite index of the folder
        var (c5, dupes, e5) = CliHarness.Run("dupes", "--db", _pg.Url, "--threshold", "0.999", "--json");
        Assert.True(c5 == 0, e5);
        var (c6, _, e6) = CliHarness.Run("index", root, "--model", PgFolders.Model);
        Assert.True(c6 == 0, e6);
        var (c7, sqliteDupes, e7) = CliHarness.Run("dupes", "--dir", root, "--threshold", "0.999", "--json");
        Assert.True(c7 == 0, e7);
        static string[] Groups(string json) => json.Trim().Split('\n').Select(l => string.Join(" ",
            JsonDocument.Parse(l).RootElement.GetProperty("images").EnumerateArray().Select(i => i.GetProperty("path").GetString()!).Order())).Order().ToArray();
        var groups = Groups(dupes);
        Assert.Contains(groups, g => g.Contains("camera.png") && g.Contains("astronaut.png"));
        Assert.Contains(groups, g => g.Contains("new.png") && g.Contains("broken.jpg") && g.Contains("chelsea.png"));
        Assert.Equal(Groups(sqliteDupes), groups);
    }
}
