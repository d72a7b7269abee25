using System.Diagnostics;
using ClipSharp.IO;
using ClipSharp.Training;
using ClipSharp.Testing;
using Microsoft.Data.Sqlite;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// Issue 17's kill harness: a separate `clipsharp index` / `clipsharp train` process is killed with SIGKILL
/// at seeded random moments, tens of times in a row, and after every kill the state on disk is checked —
/// the index holds no duplicate, nothing committed before is lost or rewritten; the training run's
/// checkpoint (after the recovery a resume does) loads and never goes back in steps. A last run then
/// finishes the job: every image exactly once; the training losses equal an uninterrupted run's bit for bit.
/// Slow (a few minutes); run with
/// dotnet test tests/ClipSharp.Cli.Tests -c Release --filter "FullyQualifiedName~RandomKillTests".
/// CLIPSHARP_KILL_ROUNDS overrides the number of kills per test.
/// </summary>
[Collection("Console")]
[Trait("Category", "Slow")]
public class RandomKillTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public RandomKillTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    private static int Rounds => int.TryParse(Environment.GetEnvironmentVariable("CLIPSHARP_KILL_ROUNDS"), out int r) && r > 0 ? r : 25;

    [Fact]
    public void IndexKilledAtRandomPointsLosesAndDuplicatesNothing()
    {
        using var tmp = new CliHarness.TempDir();
        var root = tmp.File("photos");
        Directory.CreateDirectory(root);
        var rng = new Random(1717);
        int nextImage = 0;
        var expected = new HashSet<string>(StringComparer.Ordinal);
        void AddImages(int n)
        {
            for (int i = 0; i < n; i++, nextImage++)
            {
                var name = $"img{nextImage:D4}.bmp";
                TestImages.WriteBmp(Path.Combine(root, name), 160, 120, seed: nextImage);
                expected.Add(name);
            }
        }
        AddImages(200);
        var model = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var db = Path.Combine(root, ".clipsharp", "index.db");
        string[] args = ["index", root, "--model", model, "--batch", "4", "--threads", "1"];

        var committed = new Dictionary<string, long>(StringComparer.Ordinal);
        int kills = 0, finished = 0;
        for (int round = 0; round < Rounds; round++)
        {
            // Every run finds 120 new files; every fifth also finds 3 deleted (which a later run removes).
            if (round % 5 == 4)
            {
                foreach (var gone in expected.Order(StringComparer.Ordinal).Where((_, i) => i % 97 == round % 97).Take(3).ToList())
                {
                    File.Delete(Path.Combine(root, gone));
                    expected.Remove(gone);
                    committed.Remove(gone);
                }
            }
            // Odd rounds: killed at a random moment from the start (model load, schema, walk, first batch);
            // even rounds: at a random moment after the run's first new commit (mid-batch, mid-transaction).
            AddImages(120);
            int before = CountImages(db);
            bool early = round % 2 == 1;
            var delay = TimeSpan.FromMilliseconds(early ? rng.Next(1200) : rng.Next(250));
            var (killed, output) = RunAndKill(args, () => early || CountImages(db) > before, delay);
            if (killed) kills++; else finished++;
            var rows = CheckIndex(db, $"round {round + 1} ({(killed ? $"killed after {delay.TotalMilliseconds:F0} ms" : "finished")})");
            foreach (var (path, id) in committed)
                if (rows.TryGetValue(path, out long now))
                    Assert.True(now == id, $"round {round + 1}: {path} was committed as id {id} and is now id {now}: re-inserted");
                else if (expected.Contains(path))
                    Assert.Fail($"round {round + 1}: {path} was committed and is gone after the kill\n{output}");
            foreach (var (path, id) in rows) committed[path] = id;
        }
        Assert.True(kills >= Rounds / 2, $"only {kills} of {Rounds} runs were killed mid-work ({finished} finished): the delays no longer hit a running index");
        _output.WriteLine($"index: {kills} kills, {finished} runs finished, {committed.Count} images committed before the last run, {expected.Count} expected");

        var (code, _, err) = CliHarness.Run(args);
        Assert.True(code == 0, err);
        var final = CheckIndex(db, "final run");
        Assert.Equal(expected.Order(StringComparer.Ordinal), final.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void TrainKilledAtRandomPointsKeepsALoadableCheckpointAndResumesExactly()
    {
        using var dir = new CliHarness.TempDir();
        const int steps = 30;
        string[] Arguments(string run) =>
        ["train", "--data", TrainingRunFiles.PairsCsv(dir), "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"),
            "--out", dir.File(run), "--batch", "2", "--steps", steps.ToString(), "--warmup", "1", "--save-every", "3", "--threads", "1"];

        var (code, _, stderr) = CliHarness.Run(Arguments("straight"));
        Assert.True(code == 0, stderr);
        var straight = TrainingRunFiles.Losses(dir.File("straight"));
        Assert.Equal(steps, straight.Count);

        var run = dir.File("killed");
        var checkpoint = Path.Combine(run, "checkpoint");
        var rng = new Random(1719);
        long lastStep = 0;
        int kills = 0;
        bool done = false;
        for (int round = 0; round < Rounds && !done; round++)
        {
            string[] args = round == 0 ? Arguments("killed") : [.. Arguments("killed"), "--resume"];
            // Odd rounds: a random moment from the start; even rounds: a random moment after the run logs a new step.
            int logged0 = LoggedLines(run);
            bool early = round % 2 == 1;
            var delay = TimeSpan.FromMilliseconds(early ? rng.Next(2000) : rng.Next(600));
            var (killed, output) = RunAndKill(args, () => early || LoggedLines(run) > logged0, delay);
            if (killed) kills++; else done = true;
            // What a resume does first: put back an aside copy, drop half-written ones.
            if (!TrainingCheckpoint.Recover(checkpoint)) { Assert.True(lastStep == 0, $"round {round + 1}: the checkpoint of step {lastStep} is gone\n{output}"); continue; }
            long step = CheckpointStep(checkpoint);
            Assert.True(step >= lastStep, $"round {round + 1}: checkpoint went back from step {lastStep} to {step}");
            Assert.True(step % 3 == 0 || step == steps, $"round {round + 1}: checkpoint at step {step}, not a save point");
            using (var weights = SafetensorsFile.Open(Path.Combine(checkpoint, TrainingCheckpoint.ModelFile)))
                Assert.True(weights.Names.Count() > 10, $"round {round + 1}: checkpoint weights hold {weights.Names.Count()} tensors");
            var (infoCode, _, infoErr) = CliHarness.Run("info", "--model", Path.Combine(checkpoint, TrainingCheckpoint.ModelFile));
            Assert.True(infoCode == 0, $"round {round + 1}: the checkpoint does not load: {infoErr}");
            lastStep = step;
        }
        Assert.True(kills >= Math.Min(Rounds, 5), $"only {kills} runs were killed before one finished: the delays no longer hit a running trainer");
        _output.WriteLine($"train: {kills} kills, last checkpoint before the final run at step {lastStep}");

        if (!done)
        {
            var (c, _, e) = CliHarness.Run([.. Arguments("killed"), "--resume"]);
            Assert.True(c == 0, e);
        }
        var logged = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Count(l => l.Contains("\"loss\""));
        Assert.Equal(steps, logged);   // every resume cut the log back to its checkpoint: no step twice
        var resumed = TrainingRunFiles.Losses(run);
        Assert.Equal(straight.Keys, resumed.Keys);
        foreach (var (step, loss) in straight)
            Assert.True(loss == resumed[step], $"step {step}: loss {resumed[step]:R} after {kills} kills vs {loss:R} uninterrupted");
    }

    /// <summary>
    /// Starts the CLI as a child process and SIGKILLs it (whole tree) <paramref name="delay"/> after
    /// <paramref name="armed"/> first returns true (polled every 5 ms), unless it exits first.
    /// </summary>
    private static (bool Killed, string Output) RunAndKill(string[] args, Func<bool> armed, TimeSpan delay)
    {
        using var process = CliHarness.Start(args);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool killed = false;
        var limit = Stopwatch.StartNew();
        while (!armed() && !process.HasExited && limit.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(5);
        if (!process.WaitForExit(delay))
        {
            process.Kill(entireProcessTree: true);
            killed = true;
        }
        Assert.True(process.WaitForExit(60_000), "the child did not exit");
        process.WaitForExit();   // drains the output readers
        if (!killed) Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}");
        return (killed, output.ToString());
    }

    /// <summary>Committed image rows; 0 while there is no database, no schema yet, or it is locked.</summary>
    private static int CountImages(string db)
    {
        if (!File.Exists(db)) return 0;
        try
        {
            using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM images";
            return Convert.ToInt32(cmd.ExecuteScalar());
        }
        catch (SqliteException) { return 0; }
    }

    /// <summary>Lines in a run's metrics.jsonl (0 before it exists; a line being written may be torn, which is fine for counting).</summary>
    private static int LoggedLines(string run)
    {
        var path = Path.Combine(run, "metrics.jsonl");
        try { return File.Exists(path) ? File.ReadAllLines(path).Length : 0; }
        catch (IOException) { return 0; }
    }

    /// <summary>Checks the index's invariants and returns its image rows (path → id).</summary>
    private static Dictionary<string, long> CheckIndex(string db, string when)
    {
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!File.Exists(db)) return rows;
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        long Scalar(string sql)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(cmd.ExecuteScalar());
        }
        using (var check = conn.CreateCommand())
        {
            check.CommandText = "PRAGMA integrity_check";
            Assert.Equal("ok", (string?)check.ExecuteScalar());
        }
        if (Scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'images'") == 0) return rows;
        Assert.True(Scalar("SELECT COUNT(*) FROM (SELECT path FROM images GROUP BY path HAVING COUNT(*) > 1)") == 0, $"{when}: duplicate paths");
        Assert.True(Scalar("SELECT COUNT(*) FROM images i WHERE (SELECT COUNT(*) FROM embeddings e WHERE e.image_id = i.id) != 1") == 0, $"{when}: an image without exactly one embedding");
        Assert.True(Scalar("SELECT COUNT(*) FROM embeddings e WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.id = e.image_id)") == 0, $"{when}: an embedding without its image");
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT path, id FROM images";
        using var r = cmd.ExecuteReader();
        while (r.Read()) rows.Add(r.GetString(0), r.GetInt64(1));
        return rows;
    }

    private static long CheckpointStep(string checkpoint)
    {
        using var state = SafetensorsFile.Open(Path.Combine(checkpoint, TrainingCheckpoint.OptimizerFile));
        return long.Parse(state.Metadata["step"], System.Globalization.CultureInfo.InvariantCulture);
    }
}
