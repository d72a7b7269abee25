using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace ClipSharp.Fuzz;

/// <summary>Counts of one batch, printed by the worker as one JSON line and summed by the campaign.</summary>
internal sealed class Totals
{
    public long Inputs { get; set; }
    public long Accepted { get; set; }
    public long Refused { get; set; }
    public long Untyped { get; set; }
    public long Slow { get; set; }
    public long Memory { get; set; }
    public long Hangs { get; set; }
    public long Crashes { get; set; }
    public double CpuSeconds { get; set; }
    public double MaxInputCpuSeconds { get; set; }
    public long MaxInputAllocatedBytes { get; set; }
    public double PeakRssMib { get; set; }
    public List<string> Saved { get; set; } = [];

    public long Failures => Untyped + Slow + Memory + Hangs + Crashes;

    public void Add(Totals t)
    {
        Inputs += t.Inputs; Accepted += t.Accepted; Refused += t.Refused; Untyped += t.Untyped; Slow += t.Slow;
        Memory += t.Memory; Hangs += t.Hangs; Crashes += t.Crashes; CpuSeconds += t.CpuSeconds;
        MaxInputCpuSeconds = Math.Max(MaxInputCpuSeconds, t.MaxInputCpuSeconds);
        MaxInputAllocatedBytes = Math.Max(MaxInputAllocatedBytes, t.MaxInputAllocatedBytes);
        PeakRssMib = Math.Max(PeakRssMib, t.PeakRssMib);
        Saved.AddRange(t.Saved);
    }
}

/// <summary>The limits every input is held to.</summary>
internal sealed record FuzzLimits(int SlowMs, int TimeoutMs, long MaxAllocBytes);

/// <summary>
/// Runs inputs [start, start + count) of one target in this process, on an 8 MB-stack thread (as the
/// CLI's main thread has). Each input's thread CPU time and allocation are measured; an untyped exception,
/// a slow input (CPU over the limit) or one allocating over the limit is saved to the corpus. A watchdog
/// saves an input that runs past the timeout and ends the process (exit 3); the index of the input in
/// progress is kept in a memory-mapped file, so the campaign can rebuild the input that killed a worker.
/// </summary>
internal static class Worker
{
    public const int HangExit = 3;

    public static Totals Run(IFuzzTarget target, ulong seed, long start, long count, FuzzLimits limits, Corpus corpus, string? progressPath,
        bool saveHeaviest = true)
    {
        using var progressFile = progressPath == null ? null : MemoryMappedFile.CreateFromFile(progressPath, FileMode.OpenOrCreate, null, 16);
        using var progress = progressFile?.CreateViewAccessor(0, 16);
        var totals = new Totals();
        long current = -1, startedAt = 0;
        long heaviestCpu = -1, heaviestAlloc = -1;
        double heaviestCpuSeconds = 0;
        long heaviestAllocBytes = 0;
        long heaviestSmall = -1;
        double heaviestSmallSeconds = 0;
        Exception? fatal = null;

        var thread = new Thread(() =>
        {
            try
            {
                for (long i = start; i < start + count; i++)
                {
                    var input = target.Generate(seed, i);
                    progress?.Write(0, i);
                    double cpu0 = ThreadUsage.CpuSeconds();
                    long alloc0 = GC.GetAllocatedBytesForCurrentThread();
                    Volatile.Write(ref startedAt, Environment.TickCount64);
                    Volatile.Write(ref current, i);
                    var (outcome, error) = target.Run(input);
                    Volatile.Write(ref current, -1);
                    double cpu = ThreadUsage.CpuSeconds() - cpu0;
                    long alloc = GC.GetAllocatedBytesForCurrentThread() - alloc0;
                    totals.Inputs++;
                    totals.CpuSeconds += cpu;
                    totals.MaxInputCpuSeconds = Math.Max(totals.MaxInputCpuSeconds, cpu);
                    totals.MaxInputAllocatedBytes = Math.Max(totals.MaxInputAllocatedBytes, alloc);
                    if (cpu > heaviestCpuSeconds) (heaviestCpuSeconds, heaviestCpu) = (cpu, i);
                    if (cpu > heaviestSmallSeconds && input.Bytes.Length <= 256 * 1024) (heaviestSmallSeconds, heaviestSmall) = (cpu, i);
                    if (alloc > heaviestAllocBytes) (heaviestAllocBytes, heaviestAlloc) = (alloc, i);
                    switch (outcome)
                    {
                        case Outcome.Accepted: totals.Accepted++; break;
                        case Outcome.Refused: totals.Refused++; break;
                        default:
                            totals.Untyped++;
                            Keep(totals, corpus.Save(target, input, "untyped", Corpus.Signature(error!),
                                $"{error!.GetType().FullName}: {error.Message}\n{error.StackTrace}", seed, i));
                            break;
                    }
                    if (cpu * 1000 > limits.SlowMs)
                    {
                        totals.Slow++;
                        Keep(totals, corpus.Save(target, input, "slow", $"{input.Kind} {input.Seed} {outcome}",
                            $"{cpu:F2} s of CPU (limit {limits.SlowMs} ms), outcome {outcome}", seed, i));
                    }
                    long allowed = limits.MaxAllocBytes + 4L * input.Bytes.Length;
                    if (alloc > allowed)
                    {
                        totals.Memory++;
                        Keep(totals, corpus.Save(target, input, "memory", $"{input.Kind} {input.Seed} {outcome}",
                            $"allocated {alloc / 1048576.0:F1} MiB (limit {allowed / 1048576.0:F1} MiB), outcome {outcome}", seed, i));
                    }
                }
            }
            catch (Exception e)
            {
                fatal = e; // a failure of the harness itself, not of a reader
            }
        }, 8 << 20) { IsBackground = true, Name = "fuzz" };
        thread.Start();

        while (!thread.Join(50))
        {
            long i = Volatile.Read(ref current);
            if (i < 0 || Environment.TickCount64 - Volatile.Read(ref startedAt) <= limits.TimeoutMs) continue;
            if (Volatile.Read(ref current) != i) continue;
            var input = target.Generate(seed, i);
            totals.Hangs++;
            Keep(totals, corpus.Save(target, input, "hang", $"{input.Kind} {input.Seed}",
                $"still running after {limits.TimeoutMs} ms", seed, i));
            totals.PeakRssMib = ThreadUsage.PeakRssMib();
            Console.WriteLine(JsonSerializer.Serialize(totals));
            Console.Out.Flush();
            Environment.Exit(HangExit);
        }
        if (fatal != null) throw new InvalidOperationException($"fuzz harness failed: {fatal.Message}", fatal);
        // The batch's costliest inputs join the corpus as regression inputs: the replay keeps them typed and cheap.
        if (saveHeaviest)
        {
            foreach (var (i, what) in new[] { (heaviestCpu, $"{heaviestCpuSeconds * 1000:F0} ms CPU"), (heaviestAlloc, $"{heaviestAllocBytes / 1048576.0:F1} MiB allocated"),
                         (heaviestSmall, $"{heaviestSmallSeconds * 1000:F0} ms CPU, the most of the inputs up to 256 KB") })
            {
                if (i < 0) continue;
                var input = target.Generate(seed, i);
                var (outcome, _) = target.Run(input);
                Keep(totals, corpus.Save(target, input, "heavy", $"{input.Seed} {outcome}",
                    $"costliest input of its batch ({what}), outcome {outcome}", seed, i));
            }
        }
        totals.PeakRssMib = ThreadUsage.PeakRssMib();
        return totals;
    }

    private static void Keep(Totals t, string? path)
    {
        if (path != null) t.Saved.Add(path);
    }
}
