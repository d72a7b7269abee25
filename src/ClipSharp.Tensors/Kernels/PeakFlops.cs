using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Measures the machine's float32 FMA peak: each thread runs independent fused multiply-add chains
/// on registers (no memory traffic), enough of them to cover FMA latency on every port. Each
/// repetition lasts about a quarter of a second, as long as an encoder batch it is compared with, so
/// a momentary clock burst on a shared machine does not set the peak.
/// </summary>
public static class PeakFlops
{
    /// <summary>Best GFLOP/s over a few repetitions with <paramref name="threads"/> threads (2 FLOPs per FMA lane).</summary>
    public static double Measure(int threads, int repetitions = 5)
    {
        const long iterations = 120_000_000;
        // Without AVX-512 a Vector512 FMA is emulated, so the peak is measured on the widest real registers.
        bool wide = Vector512.IsHardwareAccelerated;
        Func<long, float> chains = wide ? Chains<Vector512<float>, Simd512> : Chains<Vector256<float>, Simd256>;
        int lanes = wide ? Simd512.Width : Simd256.Width;
        chains(1000);  // JIT
        double best = 0;
        for (int rep = 0; rep < repetitions; rep++)
        {
            // Dedicated threads released together by a barrier, so all run for the whole timed span.
            using var start = new Barrier(threads + 1);
            var workers = new Thread[threads];
            for (int t = 0; t < threads; t++)
            {
                workers[t] = new Thread(() => { start.SignalAndWait(); chains(iterations); });
                workers[t].Start();
            }
            start.SignalAndWait();
            var sw = Stopwatch.StartNew();
            foreach (var w in workers) w.Join();
            double seconds = sw.Elapsed.TotalSeconds;
            double flops = threads * iterations * 12.0 * lanes * 2;
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    /// <summary>12 independent FMA chains of one vector width, <paramref name="iterations"/> steps each.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains<TV, TS>(long iterations) where TV : struct where TS : ISimd<TV>
    {
        var m = TS.Broadcast(0.999999f);
        var a = TS.Broadcast(1e-7f);
        TV x0 = TS.Broadcast(1f), x1 = x0, x2 = x0, x3 = x0, x4 = x0, x5 = x0,
            x6 = x0, x7 = x0, x8 = x0, x9 = x0, x10 = x0, x11 = x0;
        for (long i = 0; i < iterations; i++)
        {
            x0 = TS.Fma(x0, m, a); x1 = TS.Fma(x1, m, a); x2 = TS.Fma(x2, m, a); x3 = TS.Fma(x3, m, a);
            x4 = TS.Fma(x4, m, a); x5 = TS.Fma(x5, m, a); x6 = TS.Fma(x6, m, a); x7 = TS.Fma(x7, m, a);
            x8 = TS.Fma(x8, m, a); x9 = TS.Fma(x9, m, a); x10 = TS.Fma(x10, m, a); x11 = TS.Fma(x11, m, a);
        }
        var sum = TS.Add(TS.Add(TS.Add(x0, x1), TS.Add(x2, x3)), TS.Add(TS.Add(x4, x5), TS.Add(x6, x7)));
        sum = TS.Add(sum, TS.Add(TS.Add(x8, x9), TS.Add(x10, x11)));
        Span<float> lanes = stackalloc float[TS.Width];
        TS.Store(ref lanes[0], sum);
        return lanes[0];
    }
}
