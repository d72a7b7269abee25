using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Bench;

/// <summary>
/// The GEMM with and without asking for the next packed-B panel ahead (<see cref="GemmLayout.PrefetchNextPanel"/>),
/// alternating in one process so both see the same noisy machine; "cold" reads B from memory each call, as batch 1 does.
/// </summary>
internal static class PrefetchAb
{
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1600, 2304, 768), (1600, 768, 768), (1600, 3072, 768), (1600, 768, 3072), (50, 2304, 768), (50, 3072, 768),
        (50, 768, 3072), (77, 1536, 512), (2048, 1536, 512), (100352, 256, 64), (25088, 512, 128), (6272, 256, 2304),
    ];

    public static void Run(int[] threadCounts, int repeats)
    {
        Console.WriteLine($"{"M x N x K",-18} {"thr",3} {"warm: ahead",11} {"none",7} {"cold: ahead",11} {"none",7}   GFLOP/s, best of {repeats}");
        foreach (int threads in threadCounts)
        foreach (var (m, n, k) in Shapes)
        {
            var ctx = new ComputeContext(threads);
            var rng = new Random(1);
            var a = BenchCommon.Uniform((long)m * k, rng);
            var w = BenchCommon.Uniform((long)n * k, rng);
            var c = new float[m * n];
            int copies = BenchCommon.ColdCopies(n, k);
            var cold = new PackedMatrix[copies];
            for (int i = 0; i < copies; i++) cold[i] = Gemm.PackB(w, k, transB: true, k, n);
            double flops = 2.0 * m * n * k;
            double warmOn = 0, warmOff = 0, coldOn = 0, coldOff = 0;
            int next = 0;
            for (int r = 0; r < repeats; r++)
            {
                foreach (bool ahead in new[] { true, false })
                {
                    GemmLayout.PrefetchNextPanel = ahead;
                    double warm = BenchCommon.BestGflops(flops, 1, () => Gemm.Multiply(ctx, c, n, a, k, cold[0], m));
                    double fromMemory = BenchCommon.BestGflops(flops, 1, () => Gemm.Multiply(ctx, c, n, a, k, cold[next++ % copies], m));
                    if (ahead) { warmOn = Math.Max(warmOn, warm); coldOn = Math.Max(coldOn, fromMemory); }
                    else { warmOff = Math.Max(warmOff, warm); coldOff = Math.Max(coldOff, fromMemory); }
                }
            }
            GemmLayout.PrefetchNextPanel = null;
            Console.WriteLine($"{$"{m}x{n}x{k}",-18} {threads,3} {warmOn,11:F1} {warmOff,7:F1} {coldOn,11:F1} {coldOff,7:F1}");
        }
    }
}
