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
            var (x, packed, bn) = Setup(shape, s.O);
            var y = new float[(long)shape.Rows * s.O];
            var rows = new float[(long)shape.Rows * shape.Depth];
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

    /// <summary>One RN50 layer shape (input H×W×C, kernel K, output channels O) and how many times the network runs it.</summary>
    private sealed record Layer(string Name, int H, int C, int K, int Stride, int O, int Count);

    /// <summary>Every convolution of CLIP's RN50 image tower (224², width 64, blocks 3-4-6-3) and the attention pool's projections.</summary>
    private static readonly Layer[] Rn50 =
    [
        new("stem conv1 3x3 s2", 224, 3, 3, 2, 32, 1),
        new("stem conv2 3x3", 112, 32, 3, 1, 32, 1),
        new("stem conv3 3x3", 112, 32, 3, 1, 64, 1),
        new("l1.0 conv1 1x1", 56, 64, 1, 1, 64, 1),
        new("l1 conv1 1x1", 56, 256, 1, 1, 64, 2),
        new("l1 conv2 3x3", 56, 64, 3, 1, 64, 3),
        new("l1 conv3+ds 1x1", 56, 64, 1, 1, 256, 4),
        new("l2.0 conv1 1x1", 56, 256, 1, 1, 128, 1),
        new("l2.0 conv2 3x3", 56, 128, 3, 1, 128, 1),
        new("l2 conv3 1x1", 28, 128, 1, 1, 512, 4),
        new("l2.0 ds 1x1", 28, 256, 1, 1, 512, 1),
        new("l2 conv1 1x1", 28, 512, 1, 1, 128, 3),
        new("l2 conv2 3x3", 28, 128, 3, 1, 128, 3),
        new("l3.0 conv1 1x1", 28, 512, 1, 1, 256, 1),
        new("l3.0 conv2 3x3", 28, 256, 3, 1, 256, 1),
        new("l3 conv3 1x1", 14, 256, 1, 1, 1024, 6),
        new("l3.0 ds 1x1", 14, 512, 1, 1, 1024, 1),
        new("l3 conv1 1x1", 14, 1024, 1, 1, 256, 5),
        new("l3 conv2 3x3", 14, 256, 3, 1, 256, 5),
        new("l4.0 conv1 1x1", 14, 1024, 1, 1, 512, 1),
        new("l4.0 conv2 3x3", 14, 512, 3, 1, 512, 1),
        new("l4 conv3 1x1", 7, 512, 1, 1, 2048, 3),
        new("l4.0 ds 1x1", 7, 1024, 1, 1, 2048, 1),
        new("l4 conv1 1x1", 7, 2048, 1, 1, 512, 2),
        new("l4 conv2 3x3", 7, 512, 3, 1, 512, 2),
    ];

    /// <summary>
    /// Each RN50 layer at batch <paramref name="batch"/> as the model runs it (implicit-GEMM 3×3, in-place 1×1, BatchNorm + ReLU
    /// epilogue), its milliseconds times its count, and the total: to set beside ONNX Runtime's profile of the same network
    /// (bench/peer/ort_profile.py). The last column is the same multiply without the epilogue (GFLOP/s).
    /// </summary>
    public static void RunNetwork(int threads, int repeats, int batch, IReadOnlyDictionary<int, double> peaks)
    {
        var ctx = new ComputeContext(threads);
        double peak = peaks.TryGetValue(threads, out var pk) ? pk : double.NaN;
        Console.WriteLine($"RN50 layers at batch {batch}, {threads} thread(s), BatchNorm + ReLU epilogue");
        Console.WriteLine($"{"layer",-20} {"M",7} {"N",5} {"K",5} {"x",2} {"GFLOP/s",8} {"%peak",6} {"ms each",8} {"ms all",8} {"no BN",8}");
        double total = 0, totalFlops = 0, totalBare = 0;
        foreach (var l in Rn50)
        {
            var shape = new ConvolutionShape(batch, l.H, l.H, l.C, l.K, l.K, l.Stride, l.K / 2);
            var (x, packed, bn) = Setup(shape, l.O);
            var y = new float[(long)shape.Rows * l.O];
            double flops = 2.0 * shape.Rows * l.O * shape.Depth;
            Action run = l.K == 1
                ? () => Gemm.Multiply(ctx, y, l.O, x, l.C, packed, shape.Rows, epilogue: bn)
                : () => Gemm.MultiplyConvolution(ctx, y, x, shape, packed, epilogue: bn);
            // With and without the epilogue, alternating so both see the same (noisy) machine.
            double rate = 0, bareRate = 0;
            for (int r = 0; r < repeats; r++)
            {
                rate = Math.Max(rate, Time(flops, 1, run));
                bareRate = Math.Max(bareRate, Time(flops, 1, l.K == 1
                    ? () => Gemm.Multiply(ctx, y, l.O, x, l.C, packed, shape.Rows)
                    : () => Gemm.MultiplyConvolution(ctx, y, x, shape, packed)));
            }
            double ms = flops / rate / 1e6;
            total += ms * l.Count;
            totalFlops += flops * l.Count;
            totalBare += flops / bareRate / 1e6 * l.Count;
            Console.WriteLine($"{l.Name,-20} {shape.Rows,7} {l.O,5} {shape.Depth,5} {l.Count,2} {rate,8:F1} {100 * rate / peak,5:F0}% {ms,8:F2} {ms * l.Count,8:F1} {bareRate,8:F1}");
        }
        Console.WriteLine($"{"convolutions",-20} {totalFlops / total / 1e6,33:F1} {100 * totalFlops / total / 1e6 / peak,5:F0}% {"",8} {total,8:F1} {totalBare,8:F1} ms without the epilogue");
    }

    /// <summary>
    /// Random input and weights for one convolution, the weights packed, and what ModifiedResNet fuses after each
    /// convolution: frozen BatchNorm, then ReLU, in one pass.
    /// </summary>
    private static (float[] X, PackedMatrix Packed, GemmRowEpilogue Bn) Setup(ConvolutionShape shape, int outChannels)
    {
        var rng = new Random(1);
        var x = BenchCommon.Uniform((long)shape.Batch * shape.Height * shape.Width * shape.Channels, rng);
        var w = BenchCommon.Uniform((long)outChannels * shape.Depth, rng);
        var scale = new float[outChannels];
        var shift = new float[outChannels];
        for (int i = 0; i < outChannels; i++) { scale[i] = 1 + 0.01f * i; shift[i] = 0.001f * i; }
        var packed = Gemm.PackB(w, shape.Depth, transB: true, shape.Depth, outChannels);
        GemmRowEpilogue bn = (values, row, column) => AffineEpilogue.Apply(values, scale.AsSpan(column, values.Length),
            shift.AsSpan(column, values.Length), default, relu: true, ComputeContext.DetectIsa());
        return (x, packed, bn);
    }

    private static double Time(double flops, int repeats, Action run) => BenchCommon.BestGflops(flops, repeats, run);
}
