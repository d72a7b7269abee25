using System.Diagnostics;

namespace ClipSharp.Bench;

/// <summary>What the micro-benchmarks share: random operands, timing, and how many weight copies make B "cold".</summary>
internal static class BenchCommon
{
    /// <summary>n values uniform in [−0.5, 0.5) from <paramref name="rng"/>.</summary>
    public static float[] Uniform(long n, Random rng)
    {
        var v = new float[n];
        for (long i = 0; i < n; i++) v[i] = (float)rng.NextDouble() - 0.5f;
        return v;
    }

    /// <summary>
    /// Copies of an N×K weight, at least 256 MB of fp32 in all (1 to 64), so that cycling through them reads B from memory
    /// on every call, as a batch-1 forward pass does (every layer's weights are used once, then the next layer's).
    /// </summary>
    public static int ColdCopies(int n, int k) => (int)Math.Clamp((256L << 20) / (4L * n * k), 1, 64);

    /// <summary>
    /// Best GFLOP/s over <paramref name="repeats"/> timed batches of calls of about <paramref name="batchSeconds"/> each,
    /// after 0.3 s (and at least three calls) of warm-up that also sizes the batches.
    /// </summary>
    public static double BestGflops(double flops, int repeats, Action run, double batchSeconds = 0.1)
    {
        var warm = Stopwatch.StartNew();
        int calls = 0;
        while (warm.Elapsed.TotalSeconds < 0.3 || calls < 3) { run(); calls++; }
        int perBatch = Math.Max(1, (int)(calls * batchSeconds / warm.Elapsed.TotalSeconds));
        double best = 0;
        for (int r = 0; r < repeats; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < perBatch; i++) run();
            best = Math.Max(best, flops * perBatch / sw.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
