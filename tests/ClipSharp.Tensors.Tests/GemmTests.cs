using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Tests;

/// <summary>
/// Every instruction-set path the host supports against <see cref="Gemm.Reference"/>, over sizes that
/// straddle the tile sizes (AVX-512 14x32, AVX2 6x16, Vector128/scalar 4x8), the panel width (32) and
/// the K block (256); plus strides, accumulate, packed B, bias, and thread-count independence.
/// </summary>
public class GemmTests
{
    public static TheoryData<IsaLevel> SupportedIsas()
    {
        var data = new TheoryData<IsaLevel>();
        foreach (var isa in Enum.GetValues<IsaLevel>())
            if (isa <= ComputeContext.DetectIsa()) data.Add(isa);
        return data;
    }

    private static float[] Random(int length, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var x = new float[length];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>
    /// Asserts |c - ref| &lt;= (k + 2) * 2^-23 * (sum_p |A[i,p] B[p,j]| + |C0|) for every element of the
    /// m x n window (the float error bound of a length-k dot product), and that every other element
    /// of c is unchanged from <paramref name="before"/>.
    /// </summary>
    private static void AssertClose(float[] c, float[] expected, float[] bound, float[] before,
        int m, int n, int k, int ldc, string what)
    {
        double eps = Math.Pow(2, -23) * (k + 2);
        for (int idx = 0; idx < c.Length; idx++)
        {
            int i = idx / ldc, j = idx % ldc;
            if (i < m && j < n)
            {
                double err = Math.Abs((double)c[idx] - expected[idx]);
                double tol = eps * bound[idx] + 1e-30;
                if (!(err <= tol))
                    Assert.Fail($"{what}: C[{i},{j}] = {c[idx]:R}, reference {expected[idx]:R}, error {err:E3} > tolerance {tol:E3}");
            }
            else if (BitConverter.SingleToInt32Bits(c[idx]) != BitConverter.SingleToInt32Bits(before[idx]))
            {
                Assert.Fail($"{what}: element {idx} (row {i}, column {j}) outside the {m}x{n} output changed from {before[idx]} to {c[idx]}");
            }
        }
    }

    private static void CheckCase(ComputeContext ctx, int m, int n, int k, bool transA, bool transB,
        bool accumulate, int padA, int padB, int padC, int seed)
    {
        int lda = (transA ? m : k) + padA, ldb = (transB ? k : n) + padB, ldc = n + padC;
        int aRows = transA ? k : m, bRows = transB ? n : k;
        var a = Random(Math.Max(0, aRows * lda), seed);
        var b = Random(Math.Max(0, bRows * ldb), seed + 1);
        var c0 = Random(Math.Max(0, m * ldc), seed + 2, 4f);

        var expected = (float[])c0.Clone();
        Gemm.Reference(expected, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
        var absA = Array.ConvertAll(a, Math.Abs);
        var absB = Array.ConvertAll(b, Math.Abs);
        var bound = accumulate ? Array.ConvertAll(c0, Math.Abs) : new float[c0.Length];
        Gemm.Reference(bound, ldc, absA, lda, transA, absB, ldb, transB, m, n, k, accumulate);

        var c = (float[])c0.Clone();
        Gemm.Multiply(ctx, c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
        AssertClose(c, expected, bound, c0, m, n, k, ldc,
            $"{ctx.Isa} m={m} n={n} k={k} transA={transA} transB={transB} acc={accumulate} pads={padA},{padB},{padC}");
    }

    [Theory]
    [MemberData(nameof(SupportedIsas))]
    public void SmallSizes_AllTransposes_MatchReference(IsaLevel isa)
    {
        var ctx = new ComputeContext(1, isa);
        Assert.Equal(isa, ctx.Isa);
        int[] ms = [0, 1, 3, 4, 5, 6, 7, 13, 14, 15, 28, 29, 43];
        int[] ns = [0, 1, 7, 8, 9, 16, 17, 31, 32, 33, 50, 64, 70];
        int[] ks = [0, 1, 3, 64];
        int seed = 1;
        foreach (int m in ms)
        foreach (int n in ns)
        foreach (int k in ks)
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
            CheckCase(ctx, m, n, k, transA, transB, accumulate: false, 0, 0, 0, seed++);
    }

    [Theory]
    [MemberData(nameof(SupportedIsas))]
    public void StridesAccumulateAndDeepK_MatchReference(IsaLevel isa)
    {
        var ctx = new ComputeContext(1, isa);
        int seed = 1000;
        // k straddles the 256-deep K block; m and n straddle tiles; padded leading dimensions.
        (int m, int n, int k)[] shapes = [(1, 1, 255), (2, 33, 256), (15, 17, 257), (29, 65, 300), (50, 50, 64), (1, 70, 513), (43, 31, 600)];
        foreach (var (m, n, k) in shapes)
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
            CheckCase(ctx, m, n, k, transA, transB, accumulate, padA: 3, padB: 5, padC: 7, seed++);
    }

    [Fact]
    public void LargeShape_MatchesReference()
    {
        var ctx = new ComputeContext(2);
        CheckCase(ctx, 200, 130, 700, transA: false, transB: true, accumulate: false, 0, 0, 0, seed: 77);
        CheckCase(ctx, 171, 97, 513, transA: true, transB: false, accumulate: true, 1, 2, 3, seed: 78);
    }

    /// <summary>
    /// The implicit-im2col convolution GEMM against im2col rows multiplied by the same packed weight: bit-identical
    /// for every ISA and thread count, with bias and an epilogue that sees whole-batch row indices. Shapes cover three
    /// channels (the stem), channel runs that straddle the 256-deep K block (C = 40, 37), stride 2 with padding, an
    /// unequal kernel, kernel rows (KW·C = 300) cut by several K blocks, a 5×5 window with stride 3 and padding 2,
    /// a single row block over many column tasks (shared A), row counts that are not whole tiles, output rows that end
    /// inside a tile (Q = 7, 9), kernel rows straddling K blocks at whole-panel widths (C = 40, 128), and 7×7 and 11×11
    /// windows (a K block spanning seven or eleven kernel rows).
    /// </summary>
    [Theory]
    [InlineData(1, 9, 9, 40, 3, 3, 1, 1, 64)]
    [InlineData(1, 8, 16, 128, 3, 3, 1, 1, 64)]
    [InlineData(1, 20, 40, 5, 5, 5, 3, 2, 32)]
    [InlineData(2, 17, 31, 3, 7, 7, 2, 3, 32)]
    [InlineData(1, 16, 30, 1, 11, 11, 1, 0, 32)]
    [InlineData(2, 15, 13, 3, 3, 3, 2, 1, 32)]
    [InlineData(1, 9, 9, 40, 3, 3, 1, 1, 70)]
    [InlineData(3, 6, 7, 37, 3, 3, 1, 1, 33)]
    [InlineData(2, 5, 8, 8, 2, 3, 1, 0, 16)]
    [InlineData(1, 3, 3, 64, 3, 3, 1, 1, 900)]
    [InlineData(4, 12, 12, 16, 3, 3, 1, 1, 64)]
    [InlineData(1, 6, 5, 100, 3, 3, 1, 1, 20)]
    [InlineData(2, 11, 10, 5, 5, 5, 3, 2, 24)]
    public void ConvolutionGemm_EqualsIm2ColThenMultiply(int batch, int h, int w, int c, int kh, int kw, int stride, int pad, int n)
    {
        var shape = new ConvolutionShape(batch, h, w, c, kh, kw, stride, pad);
        var x = Random(batch * h * w * c, 21);
        var weight = Random(n * shape.Depth, 22);
        var bias = Random(n, 23);
        var packed = Gemm.PackB(weight, shape.Depth, transB: true, shape.Depth, n);
        var rows = new float[shape.Rows * shape.Depth];
        Convolution.Im2ColNhwc(new ComputeContext(1), rows, x, batch, h, w, c, kh, kw, stride, pad);
        GemmRowEpilogue tag = (values, row, column) =>
        {
            for (int j = 0; j < values.Length; j++) values[j] = values[j] * 0.5f + row - (column + j);
        };
        var expected = new float[shape.Rows * n];
        Gemm.Multiply(new ComputeContext(1), expected, n, rows, shape.Depth, packed, shape.Rows, bias: bias, epilogue: tag);
        foreach (var isa in Enum.GetValues<IsaLevel>().Where(isa => isa <= ComputeContext.DetectIsa()))
        foreach (int threads in new[] { 1, 2, 3 })
        {
            var y = new float[shape.Rows * n];
            y.AsSpan().Fill(float.NaN);
            Gemm.MultiplyConvolution(new ComputeContext(threads, isa), y, x, shape, packed, bias, tag);
            Assert.Equal(expected, y);
        }
    }

    [Fact]
    public void ConvolutionGemm_RefusesMismatchedShapes()
    {
        var shape = new ConvolutionShape(1, 4, 4, 3, 3, 3, 1, 1);
        var packed = Gemm.PackB(new float[5 * 27], 27, transB: true, 27, 5);
        var ctx = new ComputeContext(1);
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyConvolution(ctx, new float[16 * 5], new float[47], shape, packed));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyConvolution(ctx, new float[16 * 5 - 1], new float[48], shape, packed));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyConvolution(ctx, new float[16 * 5], new float[48], shape with { Channels = 2 }, packed));
        Assert.Throws<ArgumentException>(() => Gemm.MultiplyConvolution(ctx, new float[16 * 5], new float[48], shape with { KernelH = 9, Padding = 0 }, packed));
    }

    /// <summary>
    /// Also one row block over many column tasks (m = 50, n = 800: the A rows are packed once and shared by every
    /// task; k = 800 and 3000 are deeper than a phase, which one row block runs as a single phase), and a 2-row last
    /// tile (50 = 8 × 6 + 2). At k = 3000 the packed B scratch is over 2 MiB (native memory, huge pages on Linux).
    /// </summary>
    [Theory]
    [InlineData(false, true, 350, 203, 700)]
    [InlineData(true, false, 350, 203, 700)]
    [InlineData(false, true, 50, 800, 800)]
    [InlineData(false, true, 50, 800, 3000)]
    [InlineData(true, false, 14, 1600, 520)]
    [InlineData(false, true, 77, 96, 520)]   // short last tiles: 77 = 5 × 14 + 7 = 12 × 6 + 5, A read in place
    [InlineData(true, false, 77, 96, 520)]   // the same rows from packed A
    public void ResultsAreBitIdentical_AcrossThreadCountsAndIsas(bool transA, bool transB, int m, int n, int k)
    {
        var a = Random(m * k, 5);
        var b = Random(n * k, 6);
        int lda = transA ? m : k, ldb = transB ? k : n;
        float[]? first = null;
        string firstName = "";
        foreach (var isa in Enum.GetValues<IsaLevel>())
        {
            if (isa > ComputeContext.DetectIsa()) continue;
            foreach (int threads in new[] { 1, 2, 3, 4 })
            {
                var c = new float[m * n];
                Gemm.Multiply(new ComputeContext(threads, isa), c, n, a, lda, transA, b, ldb, transB, m, n, k);
                string name = $"{isa} x{threads}";
                if (first == null) CheckCase(new ComputeContext(threads, isa), m, n, k, transA, transB, accumulate: true, 0, 0, 0, seed: m + n);
                if (first == null) { first = c; firstName = name; continue; }
                for (int i = 0; i < c.Length; i++)
                    if (BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(first[i]))
                        Assert.Fail($"{name} differs from {firstName} at C[{i / n},{i % n}]: {c[i]:R} vs {first[i]:R}");
            }
        }
    }

    [Avx512Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ReadingAInPlaceEqualsThePackedPathBitForBit(int threads)
    {
        // Whole 14-row tiles, 32-column panels and a row stride of 768 floats (3 KiB): the AVX-512 kernel
        // reads A where it is; the AVX2 kernel always packs it. Bias, accumulation and the K blocks included.
        int m = 14 * 12, n = 96, k = 768;
        var a = Random(m * k, 21);
        var b = Random(n * k, 22);
        var bias = Random(n, 23);
        var start = Random(m * n, 24);
        var direct = (float[])start.Clone();
        var packed = (float[])start.Clone();
        var weights = Gemm.PackB(b, k, true, k, n);
        Gemm.Multiply(new ComputeContext(threads, IsaLevel.Avx512), direct, n, a, k, weights, m, accumulate: true, bias: bias);
        Gemm.Multiply(new ComputeContext(threads, IsaLevel.Avx2), packed, n, a, k, weights, m, accumulate: true, bias: bias);
        Assert.Equal(packed, direct);
    }

    [Theory]
    [MemberData(nameof(SupportedIsas))]
    public void PackedB_EqualsUnpacked_AndBiasIsAddedOnce(IsaLevel isa)
    {
        foreach (var (m, n, k, transA, transB) in new[] { (37, 45, 300, false, true), (1, 17, 9, true, false), (64, 96, 64, false, false) })
        {
            var ctx = new ComputeContext(2, isa);
            var a = Random(m * k, 11);
            var b = Random(n * k, 12);
            var bias = Random(n, 13);
            int lda = transA ? m : k, ldb = transB ? k : n;
            var packed = Gemm.PackB(b, ldb, transB, k, n, ctx);
            Assert.Equal(k, packed.Rows);
            Assert.Equal(n, packed.Columns);

            var plain = new float[m * n];
            Gemm.Multiply(ctx, plain, n, a, lda, transA, b, ldb, transB, m, n, k);
            var viaPacked = new float[m * n];
            Gemm.Multiply(ctx, viaPacked, n, a, lda, packed, m, transA: transA);
            Assert.Equal(plain, viaPacked);

            var withBias = Random(m * n, 14);
            var expected = (float[])withBias.Clone();
            Gemm.Multiply(ctx, expected, n, a, lda, transA, b, ldb, transB, m, n, k, accumulate: true);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) expected[i * n + j] += bias[j];
            Gemm.Multiply(ctx, withBias, n, a, lda, packed, m, accumulate: true, bias: bias, transA: transA);
            Assert.Equal(expected, withBias);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Epilogue_SeesEachFinishedElementOnce(int threads)
    {
        int m = 230, n = 200, k = 600;
        var ctx = new ComputeContext(threads);
        var a = Random(m * k, 51);
        var b = Random(n * k, 52);
        var bias = Random(n, 53);
        var packed = Gemm.PackB(b, k, true, k, n);

        var expected = new float[m * n];
        Gemm.Multiply(ctx, expected, n, a, k, packed, m, bias: bias);
        for (int i = 0; i < expected.Length; i++) expected[i] = expected[i] > 0 ? expected[i] : 0.5f * expected[i];

        var visits = new int[m * n];
        var fused = new float[m * n];
        Gemm.Multiply(ctx, fused, n, a, k, packed, m, bias: bias, epilogue: (values, row, column) =>
        {
            for (int j = 0; j < values.Length; j++)
            {
                Interlocked.Increment(ref visits[row * n + column + j]);
                values[j] = values[j] > 0 ? values[j] : 0.5f * values[j];
            }
        });
        Assert.All(visits, v => Assert.Equal(1, v));
        Assert.Equal(expected, fused);

        // The unpacked entry point fuses the same way, with and without accumulating into C.
        var unpacked = new float[m * n];
        Gemm.Multiply(ctx, unpacked, n, a, k, false, b, k, true, m, n, k, bias: bias,
            epilogue: (values, _, _) => { for (int j = 0; j < values.Length; j++) values[j] = values[j] > 0 ? values[j] : 0.5f * values[j]; });
        Assert.Equal(expected, unpacked);
        var residual = Random(m * n, 54);
        var sum = (float[])residual.Clone();
        Gemm.Multiply(ctx, sum, n, a, k, false, b, k, true, m, n, k, accumulate: true, bias: bias);
        var separate = (float[])residual.Clone();
        Gemm.Multiply(ctx, separate, n, a, k, packed, m, accumulate: true, bias: bias);
        Assert.Equal(separate, sum);
        Assert.All(Enumerable.Range(0, m * n), i => Assert.True(Math.Abs(sum[i] - residual[i] - (expected[i] > 0 ? expected[i] : 2 * expected[i])) < 1e-3f));
    }

    [Fact]
    public void SingleThreadedCalls_DoNotAllocateOnceWarm()
    {
        int m = 40, n = 70, k = 300;
        var a = Random(m * k, 21);
        var b = Random(n * k, 22);
        var c = new float[m * n];
        var packed = Gemm.PackB(b, k, true, k, n);
        var ctx = ComputeContext.SingleThreaded;
        Gemm.Multiply(ctx, c, n, a, k, false, b, k, true, m, n, k);
        Gemm.Multiply(ctx, c, n, a, k, packed, m);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Gemm.Multiply(ctx, c, n, a, k, false, b, k, true, m, n, k);
            Gemm.Multiply(ctx, c, n, a, k, packed, m);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ConcurrentCalls_OnSharedContext_AreIndependent()
    {
        var ctx = new ComputeContext(2);
        int m = 90, n = 75, k = 280;
        var a = Random(m * k, 31);
        var expected = new float[8][];
        var actual = new float[8][];
        var bs = new float[8][];
        for (int t = 0; t < 8; t++)
        {
            bs[t] = Random(n * k, 40 + t);
            expected[t] = new float[m * n];
            Gemm.Multiply(ComputeContext.SingleThreaded, expected[t], n, a, k, false, bs[t], k, true, m, n, k);
        }
        Parallel.For(0, 8, t =>
        {
            actual[t] = new float[m * n];
            Gemm.Multiply(ctx, actual[t], n, a, k, false, bs[t], k, true, m, n, k);
        });
        for (int t = 0; t < 8; t++) Assert.Equal(expected[t], actual[t]);
    }

    [Fact]
    public void ZeroDepth_OverwritesOrKeeps()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(ComputeContext.SingleThreaded, c, 2, [], 0, false, [], 2, false, 2, 2, 0, accumulate: true);
        Assert.Equal([1f, 2, 3, 4], c);
        Gemm.Multiply(ComputeContext.SingleThreaded, c, 2, [], 0, false, [], 2, false, 2, 2, 0);
        Assert.Equal([0f, 0, 0, 0], c);
    }

    [Fact]
    public void TooSmallBuffers_Throw()
    {
        var ctx = ComputeContext.SingleThreaded;
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(ctx, new float[5], 3, new float[6], 3, false, new float[9], 3, false, 2, 3, 3));
        Assert.Contains("C too small", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(ctx, new float[6], 3, new float[5], 3, false, new float[9], 3, false, 2, 3, 3));
        Assert.Contains("A too small", ex.Message);
        var packed = Gemm.PackB(new float[12], 4, false, 3, 4);
        ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(ctx, new float[8], 4, new float[6], 3, packed, 2, bias: new float[3]));
        Assert.Contains("bias", ex.Message);
        Assert.Throws<ArgumentException>(() => Gemm.PackB(new float[11], 4, false, 3, 4));
    }
}
