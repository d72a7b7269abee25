using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ClipSharp.Fuzz;

/// <summary>
/// Runs a campaign of N inputs as batches, each in a child worker process with a GC heap hard limit, so a
/// hard crash, a stack overflow or an out-of-memory kill loses one input, not the campaign: the input in
/// progress is rebuilt from (seed, index) and saved as a crash, and the next worker resumes after it.
/// </summary>
internal static class Campaign
{
    public static Totals Run(string target, ulong seed, long start, long inputs, long batch, FuzzLimits limits,
        long memoryMib, Corpus corpus, Func<string, IFuzzTarget> makeTarget, Action<string> log)
    {
        var totals = new Totals();
        long next = start, end = start + inputs;
        var progress = Path.Combine(Path.GetTempPath(), $"clipsharp-fuzz-progress-{Environment.ProcessId}");
        IFuzzTarget? local = null;
        try
        {
            while (next < end)
            {
                long count = Math.Min(batch, end - next);
                File.WriteAllBytes(progress, new byte[16]);
                var (exit, stdout, stderr) = Spawn(target, seed, next, count, limits, memoryMib, corpus.Root, progress);
                var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith('{'));
                var batchTotals = last != null ? JsonSerializer.Deserialize<Totals>(last)! : new Totals();
                long reached = BitConverter.ToInt64(File.ReadAllBytes(progress), 0);
                if (exit == 0)
                {
                    next += count;
                }
                else if (exit == Worker.HangExit)
                {
                    batchTotals.Inputs = reached - next + 1;
                    next = reached + 1;
                }
                else
                {
                    // The worker died inside input `reached`: rebuild it here and keep it.
                    local ??= makeTarget(target);
                    var input = local.Generate(seed, reached);
                    string tail = string.Join(" | ", stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(4));
                    var saved = corpus.Save(local, input, "crash", $"exit {exit} {tail.Split('|')[0]}",
                        $"worker exited with code {exit}: {tail}", seed, reached);
                    batchTotals = new Totals { Inputs = reached - next + 1, Crashes = 1 };
                    if (saved != null) batchTotals.Saved.Add(saved);
                    next = reached + 1;
                }
                totals.Add(batchTotals);
                log($"{target}: {totals.Inputs} inputs, {totals.Accepted} accepted, {totals.Refused} refused, {totals.Failures} failures " +
                    $"(untyped {totals.Untyped}, slow {totals.Slow}, memory {totals.Memory}, hangs {totals.Hangs}, crashes {totals.Crashes})");
            }
        }
        finally
        {
            File.Delete(progress);
            (local as IDisposable)?.Dispose();
        }
        return totals;
    }

    private static (int Exit, string Stdout, string Stderr) Spawn(string target, ulong seed, long start, long count,
        FuzzLimits limits, long memoryMib, string corpus, string progress)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            psi.ArgumentList.Add(typeof(Campaign).Assembly.Location);
        foreach (var a in new[]
        {
            "worker", "--target", target, "--seed", seed.ToString(CultureInfo.InvariantCulture),
            "--start", start.ToString(CultureInfo.InvariantCulture), "--count", count.ToString(CultureInfo.InvariantCulture),
            "--slow-ms", limits.SlowMs.ToString(CultureInfo.InvariantCulture), "--timeout-ms", limits.TimeoutMs.ToString(CultureInfo.InvariantCulture),
            "--max-alloc-mb", (limits.MaxAllocBytes >> 20).ToString(CultureInfo.InvariantCulture), "--corpus", corpus, "--progress", progress,
        }) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0x" + (memoryMib << 20).ToString("X", CultureInfo.InvariantCulture);
        psi.Environment["DOTNET_gcServer"] = "0";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }
}
