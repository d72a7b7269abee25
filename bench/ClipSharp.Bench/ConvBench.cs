using System.Diagnostics;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Bench;

/// <summary>
/// GFLOP/s of the RN50 convolutions as <see cref="Gemm.MultiplyConvolution"/> runs them (implicit im2col), next to
/// im2col + packed multiply, and what a BatchNorm + ReLU epilogue and a fresh output per call cost on top.
/// </summary>
internal static class ConvBench
{
    private sealed record Shape(string Name, int B, int H, int W, int C, int K, int Stride, int Padding, int O);

    private static readonly Shape[] Shapes =
    [
        new("RN50 stem conv1 3->32 s2", 8, 224, 224, 3, 3, 2, 1, 32),
        new("RN50 stem conv2 32->32", 8, 112, 112, 32, 3, 1, 1, 32),
        new("RN50 stem conv3 32->64", 8, 112, 112, 32, 3, 1, 1, 64),
        new("RN50 l1 3x3 64->64", 8, 56, 56, 64, 3, 1, 1, 64),
        new("RN50 l2 3x3 128->128", 8, 56, 56, 128, 3, 1, 1, 128),
        new("RN50 l3 3x3 256->256", 32, 14, 14, 256, 3, 1, 1, 256),
        new("RN50 l4 3x3 512->512", 32, 7, 7, 512, 3, 1, 1, 512),
    ];

    public static void Run(int[] threadCounts, int repeats, IReadOnlyDictionary<int, double> peaks, string? filter)
    {
        Console.WriteLine($"{"shape",-26} {"M",6} {"N",4} {"K",5} {"thr",3} {"implicit",8} {"%peak",6} {"im2col+mm",9} {"+BN/ReLU",8} {"+fresh y",8}");
        foreach (var s in Shapes.Where(s => filter == null || s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
        {
            var shape = new ConvolutionShape(s.B, s.H, s.W, s.C, s.K, s.K, s.Stride, s.Padding);
            var rng = new Random(1);
            var x = new float[s.B * s.H * s.W * s.C];
            var w = new float[s.O * shape.Depth];
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble() - 0.5f;
            for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
            var scale = new float[s.O];
            var shift = new float[s.O];
            for (int i = 0; i < s.O; i++) { scale[i] = 1 + 0.01f * i; shift[i] = 0.001f * i; }
            var y = new float[(long)shape.Rows * s.O];
            var rows = new float[(long)shape.Rows * shape.Depth];
            var packed = Gemm.PackB(w, shape.Depth, transB: true, shape.Depth, s.O);
            // What ModifiedResNet fuses after each convolution: frozen BatchNorm, then ReLU, in one pass.
            GemmRowEpilogue bn = (values, row, column) => AffineEpilogue.Apply(values, scale.AsSpan(column, values.Length),
                shift.AsSpan(column, values.Length), default, relu: true, ComputeContext.DetectIsa());
            double flops = 2.0 * shape.Rows * s.O * shape.Depth;
            foreach (int t in threadCounts)
            {
                var ctx = new ComputeContext(t);
                double implicitGemm = Time(flops, repeats, () => Gemm.MultiplyConvolution(ctx, y, x, shape, packed));
                double explicitGemm = Time(flops, repeats, () =>
                {
                    Convolution.Im2ColNhwc(ctx, rows, x, s.B, s.H, s.W, s.C, s.K, s.K, s.Stride, s.Padding);
                    Gemm.Multiply(ctx, y, s.O, rows, shape.Depth, packed, shape.Rows);
                });
                double withEpilogue = Time(flops, repeats, () => Gemm.MultiplyConvolution(ctx, y, x, shape, packed, epilogue: bn));
                // A new output each call, as a forward pass allocates its activations.
                double fresh = Time(flops, repeats, () => Gemm.MultiplyConvolution(ctx, Tensor.Uninitialized(shape.Rows, s.O).Span, x, shape, packed, epilogue: bn));
                double peak = peaks.TryGetValue(t, out var p) ? p : double.NaN;
                Console.WriteLine($"{s.Name,-26} {shape.Rows,6} {s.O,4} {shape.Depth,5} {t,3} {implicitGemm,8:F1} {100 * implicitGemm / peak,5:F0}% {explicitGemm,9:F1} {withEpilogue,8:F1} {fresh,8:F1}");
            }
        }
    }

    private static double Time(double flops, int repeats, Action run)
    {
        var warm = Stopwatch.StartNew();
        int calls = 0;
        while (warm.Elapsed.TotalSeconds < 0.3 || calls < 3) { run(); calls++; }
        int perBatch = Math.Max(1, (int)(calls * 0.1 / warm.Elapsed.TotalSeconds));
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
