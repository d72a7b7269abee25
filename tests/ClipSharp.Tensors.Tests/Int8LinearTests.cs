using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Tests;

/// <summary>Dynamic int8 linear layers: every host path against the scalar reference, and against float32.</summary>
public class Int8LinearTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    [Theory]
    [InlineData(64, 96, 48, 1)]
    [InlineData(37, 70, 33, 2)]      // row tail, K not a multiple of 4, a partial panel
    [InlineData(130, 768, 128, 2)]
    public void HostPathEqualsScalarReferenceBitForBit(int rows, int inFeatures, int outFeatures, int threads)
    {
        foreach (var isa in new[] { ComputeContext.DetectIsa(), IsaLevel.Avx2 }.Distinct())
            CompareWithReference(new ComputeContext(threads, isa), rows, inFeatures, outFeatures, Int8Linear.Int8Kernel.Auto);
    }

    /// <summary>Each product kernel this CPU can run (VNNI, and the VPMADDWD one for AVX2 without VNNI), pinned.</summary>
    [Theory]
    [InlineData(37, 70, 33)]
    [InlineData(130, 768, 128)]
    public void EachKernelEqualsScalarReferenceBitForBit(int rows, int inFeatures, int outFeatures)
    {
        var kernels = new List<Int8Linear.Int8Kernel>();
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) kernels.Add(Int8Linear.Int8Kernel.Vnni);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) kernels.Add(Int8Linear.Int8Kernel.MultiplyAddPairs);
        Assert.NotEmpty(kernels);   // every x86-64 CI machine here has AVX2
        foreach (var kernel in kernels)
            CompareWithReference(new ComputeContext(2), rows, inFeatures, outFeatures, kernel);
    }

    /// <summary>The context's paths (quantisation and product) against the scalar reference, bit for bit.</summary>
    private static void CompareWithReference(ComputeContext ctx, int rows, int inFeatures, int outFeatures, Int8Linear.Int8Kernel kernel)
    {
        var x = Random(rows * inFeatures, 1);
        var w = Int8Weights.Quantize(Random(outFeatures * inFeatures, 2, 0.05f), outFeatures, inFeatures);
        var bias = Random(outFeatures, 3);
        var residual = Random(rows * outFeatures, 4);
        foreach (bool accumulate in new[] { false, true })
        {
            var fast = accumulate ? (float[])residual.Clone() : new float[rows * outFeatures];
            var reference = accumulate ? (float[])residual.Clone() : new float[rows * outFeatures];
            int visits = 0;
            Int8Linear.Forward(ctx, fast, x, w, bias, rows, accumulate, (values, _, _) => Interlocked.Add(ref visits, values.Length), kernel);
            Int8Linear.Forward(ctx, reference, x, w, bias, rows, accumulate, reference: true);
            int bad = Array.FindIndex(fast, i => false);
            for (int i = 0; i < fast.Length; i++) if (fast[i] != reference[i]) { bad = i; break; }
            Assert.True(bad < 0, $"{ctx.Isa} {Int8Linear.Select(ctx, kernel)}, accumulate {accumulate}: first difference at {bad} (row {bad / outFeatures}, column {bad % outFeatures}): {(bad >= 0 ? fast[bad] : 0):R} vs {(bad >= 0 ? reference[bad] : 0):R}");
            Assert.Equal(rows * outFeatures, visits);
        }
    }

    [Fact]
    public void StaysCloseToFloat32()
    {
        int rows = 50, k = 512, n = 256;
        var ctx = new ComputeContext(2);
        var x = Random(rows * k, 5);
        var weight = Random(n * k, 6, 0.05f);
        var bias = Random(n, 7);
        var exact = new float[rows * n];
        Linear.Forward(ctx, exact, x, weight, bias, rows, k, n);
        var quantized = new float[rows * n];
        Int8Linear.Forward(ctx, quantized, x, Int8Weights.Quantize(weight, n, k), bias, rows);
        double diff = 0, norm = 0;
        for (int i = 0; i < exact.Length; i++) { diff += Math.Pow(quantized[i] - exact[i], 2); norm += Math.Pow(exact[i], 2); }
        Assert.True(Math.Sqrt(diff / norm) < 0.02, $"relative error {Math.Sqrt(diff / norm):E2}");
    }

    [Fact]
    public void ZeroRowsAndZeroWeightsQuantiseToZero()
    {
        var ctx = new ComputeContext(1);
        var w = Int8Weights.Quantize(new float[8 * 16], 16, 8);
        var y = Random(2 * 16, 8);
        Int8Linear.Forward(ctx, y, new float[2 * 8], w, default, 2);
        Assert.All(y, v => Assert.Equal(0f, v));
    }
}
