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
    [InlineData(43, 1030, 200, 2)]   // 13 panels: blocks of 8 and 5 (groups of four plus one left over), two K blocks
    public void HostPathEqualsScalarReferenceBitForBit(int rows, int inFeatures, int outFeatures, int threads)
    {
        foreach (var isa in new[] { ComputeContext.DetectIsa(), IsaLevel.Avx2 }.Distinct())
            foreach (int levels in new[] { 127, Int8Linear.WeightLevels(isa) }.Distinct())
                CompareWithReference(new ComputeContext(threads, isa), rows, inFeatures, outFeatures, Int8Linear.Int8Kernel.Auto, levels);
    }

    /// <summary>
    /// Each product kernel this CPU can run (VNNI, VPMADDWD, and VPMADDUBSW on 63-level weights), pinned.
    /// </summary>
    [Theory]
    [InlineData(37, 70, 33)]
    [InlineData(37, 70, 80)]         // five panels: one group of four and one left over
    [InlineData(130, 768, 128)]
    [InlineData(43, 1030, 200)]
    public void EachKernelEqualsScalarReferenceBitForBit(int rows, int inFeatures, int outFeatures)
    {
        var kernels = new List<Int8Linear.Int8Kernel>();
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) kernels.Add(Int8Linear.Int8Kernel.Vnni);
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) kernels.Add(Int8Linear.Int8Kernel.MultiplyAddPairs);
        Assert.NotEmpty(kernels);   // every x86-64 CI machine here has AVX2
        foreach (var kernel in kernels)
            CompareWithReference(new ComputeContext(2), rows, inFeatures, outFeatures, kernel);
        if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported)
            CompareWithReference(new ComputeContext(2), rows, inFeatures, outFeatures, Int8Linear.Int8Kernel.MultiplyAddBytes, levels: 63);
    }

    /// <summary>
    /// The VPMADDUBSW kernel's operands at the extremes (activation bytes 255 and 1, weights ±63) in every pair, so an
    /// int16 saturation anywhere would show; and 127-level weights, which could saturate, are refused.
    /// </summary>
    [Fact]
    public void BytesKernelIsExactAtTheExtremesAndRefusesFullRangeWeights()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512BW.IsSupported)
        {
            Assert.Throws<PlatformNotSupportedException>(() => Int8Linear.Select(new ComputeContext(1), Int8Linear.Int8Kernel.MultiplyAddBytes));
            return;
        }
        int rows = 12, k = 256, n = 64;
        var ctx = new ComputeContext(1);
        // Each row's max is +1 or −1 so its values quantise to ±127 (bytes 255 and 1); weights to ±63.
        var x = Enumerable.Range(0, rows * k).Select(i => (i / k + i) % 3 == 0 ? -1f : 1f).ToArray();
        var weight = Enumerable.Range(0, n * k).Select(i => (i % 5 + i / k) % 2 == 0 ? 0.5f : -0.5f).ToArray();
        var w = Int8Weights.Quantize(weight, n, k, levels: 63);
        var fast = new float[rows * n];
        var reference = new float[rows * n];
        Int8Linear.Forward(ctx, fast, x, w, [], rows, false, null, Int8Linear.Int8Kernel.MultiplyAddBytes);
        Int8Linear.Forward(ctx, reference, x, w, [], rows, reference: true);
        Assert.Equal(reference, fast);
        // The products are exact, so so is the dequantised dot product: ±1 · ±0.5 over 256 inputs, in steps of 1.
        var exact = new float[rows * n];
        Linear.Forward(ctx, exact, x, weight, [], rows, k, n);
        for (int i = 0; i < exact.Length; i++) Assert.Equal(exact[i], fast[i], 3);
        var full = Int8Weights.Quantize(weight, n, k);
        var error = Assert.Throws<ArgumentException>(() => Int8Linear.Forward(ctx, fast, x, full, [], rows, false, null, Int8Linear.Int8Kernel.MultiplyAddBytes));
        Assert.Contains("saturate", error.Message);
        Assert.Equal(System.Runtime.Intrinsics.X86.AvxVnni.IsSupported ? Int8Linear.Int8Kernel.Vnni : Int8Linear.Int8Kernel.MultiplyAddPairs,
            Int8Linear.Select(ctx, Int8Linear.Int8Kernel.Auto, full));
    }

    /// <summary>The context's paths (quantisation and product) against the scalar reference, bit for bit.</summary>
    private static void CompareWithReference(ComputeContext ctx, int rows, int inFeatures, int outFeatures, Int8Linear.Int8Kernel kernel, int levels = 127)
    {
        var x = Random(rows * inFeatures, 1);
        var w = Int8Weights.Quantize(Random(outFeatures * inFeatures, 2, 0.05f), outFeatures, inFeatures, levels);
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
            Assert.True(bad < 0, $"{ctx.Isa} {Int8Linear.Select(ctx, kernel, w)} ({levels} levels), accumulate {accumulate}: first difference at {bad} (row {bad / outFeatures}, column {bad % outFeatures}): {(bad >= 0 ? fast[bad] : 0):R} vs {(bad >= 0 ? reference[bad] : 0):R}");
            Assert.Equal(rows * outFeatures, visits);
        }
    }

    [Theory]
    [InlineData(127, 0.02)]
    [InlineData(63, 0.02)]    // 7-bit weights (the VPMADDUBSW kernel's): here 4.8e-3 against 3.0e-3 at 127 levels
    public void StaysCloseToFloat32(int levels, double bound)
    {
        int rows = 50, k = 512, n = 256;
        var ctx = new ComputeContext(2);
        var x = Random(rows * k, 5);
        var weight = Random(n * k, 6, 0.05f);
        var bias = Random(n, 7);
        var exact = new float[rows * n];
        Linear.Forward(ctx, exact, x, weight, bias, rows, k, n);
        var quantized = new float[rows * n];
        Int8Linear.Forward(ctx, quantized, x, Int8Weights.Quantize(weight, n, k, levels), bias, rows);
        double diff = 0, norm = 0;
        for (int i = 0; i < exact.Length; i++) { diff += Math.Pow(quantized[i] - exact[i], 2); norm += Math.Pow(exact[i], 2); }
        Assert.True(Math.Sqrt(diff / norm) < bound, $"relative error {Math.Sqrt(diff / norm):E2}");
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
