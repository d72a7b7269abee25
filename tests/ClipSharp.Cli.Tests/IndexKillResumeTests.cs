using System.Diagnostics;
using ClipSharp.Testing;
using Microsoft.Data.Sqlite;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// Issue #8: killing `clipsharp index` mid-run and re-running ends with no duplicates and nothing lost.
/// The first run is a child process (a kill must hit a real process, not a cancellation token), killed
/// with its whole tree as soon as the database holds a committed batch; the rerun finishes the job.
/// </summary>
[Collection("Console")]
public class IndexKillResumeTests
{
    private const int Images = 300;

    [Fact]
    public void KilledIndexResumesWithoutDuplicatesLossOrRecomputation()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        Directory.CreateDirectory(root);
        var names = Enumerable.Range(0, Images).Select(i => $"img{i:D4}.bmp").ToArray();
        for (int i = 0; i < Images; i++) TestImages.WriteBmp(Path.Combine(root, names[i]), 256, 192, seed: i);
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var db = Path.Combine(root, ".clipsharp", "index.db");

        // First run: batches of 4 on one thread, killed once at least one batch is committed.
        var child = CliHarness.Start("index", root, "--model", model, "--batch", "4", "--threads", "1");
        var stderr = child.StandardError.ReadToEndAsync();
        var stdout = child.StandardOutput.ReadToEndAsync();
        int committed = 0;
        var deadline = Stopwatch.StartNew();
        while (!child.HasExited && deadline.Elapsed < TimeSpan.FromSeconds(120))
        {
            committed = File.Exists(db) ? CountImages(db) : 0;
            if (committed >= 4) break;
            Thread.Sleep(10);
        }
        if (child.HasExited)
            Assert.Fail($"index exited (code {child.ExitCode}) before it could be killed; stderr: {stderr.Result}");
        child.Kill(entireProcessTree: true);

        child.WaitForExit();
        Assert.NotEqual(0, child.ExitCode); // killed, not finished
        _ = stdout.Result;

        var before = Rows(db);
        Assert.True(before.Count >= 4 && before.Count < Images,
            $"killed after {deadline.Elapsed.TotalSeconds:F1} s with {committed} rows seen, {before.Count} committed: expected some but not all of {Images}");
        Assert.True(before.Count % 4 == 0, $"{before.Count} rows committed: not a whole number of batches of 4");

        // Rerun to completion (in process): exactly the missing images are embedded.
        var (code, output, err) = CliHarness.Run("index", root, "--model", model, "--batch", "4", "--threads", "1");
        Assert.True(code == 0, err);
        Assert.Contains($"found {Images}: {before.Count} unchanged, {Images - before.Count} added, 0 changed, 0 moved, 0 touched, 0 copied, 0 removed, 0 failed", output);

        var after = Rows(db);
        Assert.Equal(names.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach (var (path, row) in before)
            Assert.Equal(row, after[path]); // same id and timestamp: not re-inserted
        using var conn = Open(db);
        Assert.Equal(0L, Scalar(conn, "SELECT COUNT(*) FROM (SELECT path FROM images GROUP BY path HAVING COUNT(*) > 1)"));
        Assert.Equal((long)Images, Scalar(conn, "SELECT COUNT(*) FROM embeddings"));
        Assert.Equal(0L, Scalar(conn, "SELECT COUNT(*) FROM images i WHERE (SELECT COUNT(*) FROM embeddings e WHERE e.image_id = i.id) != 1"));
        Assert.Equal(0L, Scalar(conn, "SELECT COUNT(*) FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.id = e.image_id)"));
        Assert.Equal(0L, Scalar(conn, "SELECT COUNT(*) FROM failures"));
        // ids of the rerun's rows come after every row committed before the kill
        long maxBefore = before.Values.Max(r => r.Id);
        Assert.All(after.Where(kv => !before.ContainsKey(kv.Key)), kv => Assert.True(kv.Value.Id > maxBefore));
    }

    private static SqliteConnection Open(string db)
    {
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        return conn;
    }

    private static long Scalar(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Committed image rows; 0 while the schema is still being created or the file is locked.</summary>
    private static int CountImages(string db)
    {
        try
        {
            using var conn = Open(db);
            return (int)Scalar(conn, "SELECT COUNT(*) FROM images");
        }
        catch (SqliteException) { return 0; }
    }

    private static Dictionary<string, (long Id, long Added)> Rows(string db)
    {
        using var conn = Open(db);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT path, id, added_utc_ticks FROM images";
        using var r = cmd.ExecuteReader();
        var rows = new Dictionary<string, (long, long)>();
        while (r.Read()) rows.Add(r.GetString(0), (r.GetInt64(1), r.GetInt64(2)));
        return rows;
    }
}
