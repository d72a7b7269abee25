using System.Diagnostics;
using System.Runtime.Intrinsics;

namespace ClipSharp.Bench;

/// <summary>
/// Read bandwidth from memory: threads summing disjoint slices of a 512 MB array (far beyond any cache), best of
/// the repeats. A batch-1 forward pass reads every weight once, so weight bytes / this bandwidth bounds its time.
/// </summary>
internal static unsafe class MemoryBench
{
    public static double MeasureReadGBps(int threads, int repeats)
    {
        const long Floats = 128L << 20;
        float* data = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)(Floats * 4), 64);
        try
        {
            for (long i = 0; i < Floats; i++) data[i] = 1;
            double best = 0;
            var sums = new float[threads];
            for (int r = 0; r < repeats; r++)
            {
                var sw = Stopwatch.StartNew();
                Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                {
                    long start = Floats * t / threads, end = Floats * (t + 1) / threads;
                    Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
                    for (long i = start; i + 32 <= end; i += 32)
                    {
                        s0 += Vector256.Load(data + i); s1 += Vector256.Load(data + i + 8);
                        s2 += Vector256.Load(data + i + 16); s3 += Vector256.Load(data + i + 24);
                    }
                    sums[t] = Vector256.Sum(s0 + s1 + s2 + s3);
                });
                best = Math.Max(best, Floats * 4 / sw.Elapsed.TotalSeconds / 1e9);
            }
            return best;
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(data);
        }
    }
}
