using System.Diagnostics;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// `clipsharp train` killed (SIGKILL, as a separate process) in the middle of writing a checkpoint, twice —
/// once while the new checkpoint is half written, once after the old one was moved aside — then resumed:
/// the previous checkpoint survives both, at most the steps since it are lost, and the resumed run's
/// losses equal an uninterrupted run's bit for bit.
/// </summary>
[Collection("Console")]
public class TrainKillResumeTests
{
    private static string[] Arguments(CliHarness.TempDir dir, string run) =>
        ["train", "--data", TrainingRunFiles.PairsCsv(dir), "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"),
            "--out", dir.File(run), "--batch", "2", "--steps", "8", "--warmup", "1", "--save-every", "2", "--threads", "2"];

    private static SortedDictionary<long, double> Losses(string run) => TrainingRunFiles.Losses(run);

    /// <summary>Runs the CLI as a child process and kills it when <paramref name="killAt"/> appears on its stdout for the <paramref name="occurrence"/>th time.</summary>
    private static (bool Killed, string Output) RunChild(string[] args, string? killAt, int occurrence)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ClipSharp.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CLIPSHARP_TEST_SAVE_PAUSE_MS"] = killAt is null ? "" : "3000";
        using var process = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        int seen = 0;
        bool killed = false;
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lock (output) output.AppendLine(line);
            if (killAt is not null && line == killAt && ++seen == occurrence)
            {
                process.Kill(entireProcessTree: true);
                killed = true;
                break;
            }
        }
        Assert.True(process.WaitForExit(60_000), "the child did not exit");
        if (!killed) Assert.True(process.ExitCode == 0, output.ToString());
        return (killed, output.ToString());
    }

    [Fact]
    public void KilledDuringSavesThenResumedReproducesTheUninterruptedRun()
    {
        using var dir = new CliHarness.TempDir();
        var (code, _, stderr) = CliHarness.Run(Arguments(dir, "straight"));
        Assert.True(code == 0, stderr);
        var straight = Losses(dir.File("straight"));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), straight.Keys);

        var run = dir.File("killed");
        var checkpoint = Path.Combine(run, "checkpoint");
        string[] resume = [.. Arguments(dir, "killed"), "--resume"];

        // 1. Killed while the step-4 checkpoint's weights are written to its temporary folder.
        var (killed, output) = RunChild(Arguments(dir, "killed"), "checkpoint stage model", occurrence: 2);
        Assert.True(killed, output);
        Assert.True(Directory.Exists(checkpoint));
        Assert.Contains(Directory.GetDirectories(run, "*", SearchOption.TopDirectoryOnly), d => d.EndsWith(".tmp"));

        // 2. Resumed from step 2, and killed after the step-4 checkpoint's predecessor was moved aside:
        // for a moment no checkpoint has the real name.
        (killed, output) = RunChild(resume, "checkpoint stage swap", occurrence: 1);
        Assert.True(killed, output);
        Assert.Contains("resumed from", output);
        Assert.Contains("at step 2", output);
        Assert.False(Directory.Exists(checkpoint));

        // 3. Resumed again: the aside copy (step 2) is put back, the half-done copy discarded, and the run finishes.
        (killed, output) = RunChild(resume, null, 0);
        Assert.False(killed);
        Assert.Contains("at step 2", output);
        Assert.DoesNotContain(Directory.GetDirectories(run), d => d.EndsWith(".tmp") || d.EndsWith(".old"));
        var resumed = Losses(run);
        var logged = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Where(l => l.Contains("\"loss\"")).ToList();
        Assert.Equal(8, logged.Count);   // resuming cut the log back to the checkpoint: no step twice
        Assert.Equal(straight.Keys, resumed.Keys);
        foreach (var (step, loss) in straight)
            Assert.True(loss == resumed[step], $"step {step}: loss {resumed[step]:R} after the kills vs {loss:R} uninterrupted");
    }

    /// <summary>
    /// Issue 19 item 11: killed while the FIRST checkpoint is half written there is nothing to resume from;
    /// --resume says so, discards the half-written copy, starts from step 0 and reproduces the uninterrupted run.
    /// </summary>
    [Fact]
    public void KilledDuringTheFirstSaveThenResumedStartsOverFromStepZero()
    {
        using var dir = new CliHarness.TempDir();
        var (code, _, stderr) = CliHarness.Run(Arguments(dir, "straight"));
        Assert.True(code == 0, stderr);
        var straight = Losses(dir.File("straight"));

        var run = dir.File("killed");
        var (killed, output) = RunChild(Arguments(dir, "killed"), "checkpoint stage model", occurrence: 1);
        Assert.True(killed, output);
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoint")));
        Assert.Contains(Directory.GetDirectories(run), d => d.EndsWith(".tmp"));

        (killed, output) = RunChild([.. Arguments(dir, "killed"), "--resume"], null, 0);
        Assert.False(killed);
        Assert.Contains("no finished checkpoint", output);
        Assert.Contains("starting from step 0", output);
        Assert.DoesNotContain("resumed from", output);
        Assert.DoesNotContain(Directory.GetDirectories(run), d => d.EndsWith(".tmp") || d.EndsWith(".old"));
        Assert.True(Directory.Exists(Path.Combine(run, "checkpoint")));
        var logged = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Where(l => l.Contains("\"loss\"")).ToList();
        Assert.Equal(8, logged.Count);   // the steps logged before the kill were cut: no step twice
        var resumed = Losses(run);
        Assert.Equal(straight.Keys, resumed.Keys);
        foreach (var (step, loss) in straight)
            Assert.True(loss == resumed[step], $"step {step}: loss {resumed[step]:R} after the kill vs {loss:R} uninterrupted");
    }
}
