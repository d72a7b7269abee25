using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Bench;

/// <summary>GFLOP/s of <see cref="Gemm"/> on CLIP-shaped problems (y = x W^T with W stored (N, K)).</summary>
internal static class GemmBench
{
    private sealed record Shape(string Name, int M, int N, int K);

    private static readonly Shape[] Shapes =
    [
        new("ViT-B/32 b32 qkv", 1600, 2304, 768),
        new("ViT-B/32 b32 out-proj", 1600, 768, 768),
        new("ViT-B/32 b32 mlp fc", 1600, 3072, 768),
        new("ViT-B/32 b32 mlp proj", 1600, 768, 3072),
        new("text b256x8 qkv", 2048, 1536, 512),
        new("text b256x8 out-proj", 2048, 512, 512),
        new("text b256x8 mlp fc", 2048, 2048, 512),
        new("text b256x8 mlp proj", 2048, 512, 2048),
        new("ViT-B/32 b1 qkv", 50, 2304, 768),
        new("ViT-B/32 b1 mlp fc", 50, 3072, 768),
        new("text b1 qkv", 77, 1536, 512),
        new("text b1 mlp proj", 77, 512, 2048),
        new("attn QK^T T=50 D=64", 50, 50, 64),
        new("attn QK^T T=77 D=64", 77, 77, 64),
        new("M=1 768x768", 1, 768, 768),
        new("RN50 b8 l1 1x1 64->256", 25088, 256, 64),
        new("RN50 b8 l1 3x3 64->64", 25088, 64, 576),
        new("RN50 b32 l3 1x1 1024->256", 6272, 256, 1024),
        new("RN50 b32 l3 3x3 256->256", 6272, 256, 2304),
        new("RN50 b32 l4 1x1 512->2048", 1568, 2048, 512),
    ];

    public static void Run(int[] threadCounts, int repeats, IReadOnlyDictionary<int, double> peaks, string? filter)
    {
        Console.WriteLine($"{"shape",-24} {"M",5} {"N",5} {"K",5} {"thr",3} {"packed GF/s",11} {"%peak",6} {"unpacked GF/s",13} {"%peak",6} {"int8 GOP/s",10} {"×packed",7} {"cold GF/s",9} {"cold int8",9}");
        // --shape MxNxK times that one shape; any other text picks the named shapes containing it.
        var dims = filter?.Split('x');
        var shapes = dims is { Length: 3 } && dims.All(d => int.TryParse(d, out _))
            ? [new Shape(filter!, int.Parse(dims[0]), int.Parse(dims[1]), int.Parse(dims[2]))]
            : Shapes.Where(s => filter == null || s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToArray();
        foreach (var s in shapes)
        {
            var rng = new Random(1);
            var a = BenchCommon.Uniform((long)s.M * s.K, rng);
            var w = BenchCommon.Uniform((long)s.N * s.K, rng);
            var c = new float[s.M * s.N];
            var packed = Gemm.PackB(w, s.K, transB: true, s.K, s.N);
            int levels = Int8Linear.WeightLevels(ComputeContext.DetectIsa());   // 7-bit where the VPMADDUBSW kernel runs
            var quantized = Int8Weights.Quantize(w, s.N, s.K, levels);
            int copies = BenchCommon.ColdCopies(s.N, s.K);   // cold: each call reads its B from memory
            var coldPacked = new PackedMatrix[copies];
            var coldQuantized = new Int8Weights[copies];
            for (int i = 0; i < copies; i++)
            {
                coldPacked[i] = Gemm.PackB(w, s.K, transB: true, s.K, s.N);
                coldQuantized[i] = Int8Weights.Quantize(w, s.N, s.K, levels);
            }
            foreach (int t in threadCounts)
            {
                var ctx = new ComputeContext(t);
                double gPacked = Time(s, repeats, () => Gemm.Multiply(ctx, c, s.N, a, s.K, packed, s.M));
                double gPlain = Time(s, repeats, () => Gemm.Multiply(ctx, c, s.N, a, s.K, false, w, s.K, true, s.M, s.N, s.K));
                // Dynamic int8 (activations quantised per call, as the encoders run it): operations per second.
                double gInt8 = Time(s, repeats, () => Int8Linear.Forward(ctx, c, a, quantized, default, s.M));
                foreach (var q in coldQuantized) Int8Linear.Forward(ctx, c, a, q, default, s.M); // builds each copy's lazy pair layout first
                int next = 0;
                double gCold = Time(s, repeats, () => Gemm.Multiply(ctx, c, s.N, a, s.K, coldPacked[next++ % copies], s.M));
                double gColdInt8 = Time(s, repeats, () => Int8Linear.Forward(ctx, c, a, coldQuantized[next++ % copies], default, s.M));
                double peak = peaks.TryGetValue(t, out var p) ? p : double.NaN;
                Console.WriteLine($"{s.Name,-24} {s.M,5} {s.N,5} {s.K,5} {t,3} {gPacked,11:F1} {100 * gPacked / peak,5:F0}% {gPlain,13:F1} {100 * gPlain / peak,5:F0}% {gInt8,10:F1} {gInt8 / gPacked,6:F2}× {gCold,9:F1} {gColdInt8,9:F1}");
            }
        }
    }

    /// <summary>Best GFLOP/s over <paramref name="repeats"/> timed batches of about 50 ms each (after warm-up).</summary>
    private static double Time(Shape s, int repeats, Action run) =>
        BenchCommon.BestGflops(2.0 * s.M * s.N * s.K, repeats, run, batchSeconds: 0.05);
}
