namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// General matrix multiply on row-major float32 matrices:
/// C[i, j] = (accumulate ? C[i, j] : 0) + sum_k A[i, k] * B[k, j], for i &lt; m, j &lt; n, k &lt; K,
/// where A[i, k] = a[i * lda + k] (or a[k * lda + i] when transA) and
/// B[k, j] = b[k * ldb + j] (or b[j * ldb + k] when transB); C[i, j] = c[i * ldc + j].
/// Linear layers call it with transB = true on weights stored (out, in), as PyTorch stores them.
/// </summary>
/// <remarks>
/// Blocked (GotoBLAS/BLIS) implementation: B is packed into 32-column panels, A into Mr-row panels,
/// and a register-blocked micro-kernel (AVX-512 14x32, AVX2 6x16, Vector128 4x8, scalar 4x8) computes
/// each tile. The sum over k runs in blocks of 256 (fused multiply-add in increasing k within a block,
/// blocks added to C in increasing order), so results are bit-identical for any thread count and
/// for every instruction set level. Work is split over output tiles only, never over k.
/// </remarks>
public static unsafe partial class Gemm
{
    /// <summary>
    /// C = (accumulate ? C : 0) + op(A) · op(B) (+ bias[j] once the sum is complete), then
    /// <paramref name="epilogue"/> on each finished row segment while it is in cache (see
    /// <see cref="GemmRowEpilogue"/>). Dispatches to the fastest path the context allows.
    /// </summary>
    public static void Multiply(ComputeContext ctx, Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        int m, int n, int k, bool accumulate = false,
        ReadOnlySpan<float> bias = default, GemmRowEpilogue? epilogue = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        CheckArguments(c, ldc, a, lda, transA, b, ldb, transB, m, n, k);
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} floats, expected {n} (columns of B)");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            ClearUnlessAccumulate(c, ldc, m, n, accumulate);
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (!bias.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
                epilogue?.Invoke(row, i, 0);
            }
            return;
        }

        var packed = GemmBuffer.ForPackedB((long)k * GemmLayout.PaddedColumns(n));
        fixed (float* pc = c, pa = a, pb = b, pbias = bias)
        {
            PackInto(ctx, packed.Pointer, pb, ldb, transB, k, n);
            var job = new GemmJob
            {
                C = pc, Ldc = ldc, A = pa, Lda = lda, TransA = transA, PackedB = packed.Pointer,
                Bias = bias.IsEmpty ? null : pbias, Epilogue = epilogue, M = m, N = n, K = k, Accumulate = accumulate,
            };
            Run(ctx, job);
        }
        GC.KeepAlive(packed); // a large scratch is not kept by the thread, and its native memory goes with it
    }

    /// <summary>
    /// Packs B (k x n; B[p, j] = b[p * ldb + j], or b[j * ldb + p] when transB) once for repeated use
    /// as the right operand of <see cref="Multiply(ComputeContext, Span{float}, int, ReadOnlySpan{float}, int, PackedMatrix, int, bool, ReadOnlySpan{float}, bool, GemmRowEpilogue)"/>.
    /// For a PyTorch Linear weight W (out, in): <c>PackB(W, in, transB: true, k: in, n: out)</c> gives y = x W^T.
    /// </summary>
    public static PackedMatrix PackB(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n, ComputeContext? ctx = null)
    {
        if (k < 0 || n < 0) throw new ArgumentException($"negative packed matrix size k={k} n={n}");
        if (k > 0 && n > 0)
        {
            int bRows = transB ? n : k, bCols = transB ? k : n;
            if (ldb < bCols || (long)(bRows - 1) * ldb + bCols > b.Length)
                throw new ArgumentException($"B too small for {bRows}x{bCols} with ldb={ldb}: has {b.Length} floats");
        }
        var buffer = new GemmBuffer(Math.Max(1, (long)k * GemmLayout.PaddedColumns(n)));
        if (k > 0 && n > 0)
        {
            fixed (float* pb = b) PackInto(ctx ?? ComputeContext.SingleThreaded, buffer.Pointer, pb, ldb, transB, k, n);
        }
        return new PackedMatrix(buffer, k, n);
    }

    /// <summary>
    /// C[i, j] = (accumulate ? C[i, j] : 0) + sum_k A[i, k] * B[k, j] (+ bias[j] when bias is not
    /// empty), for i &lt; m, j &lt; b.Columns, k &lt; b.Rows, with A[i, k] = a[i * lda + k] (or
    /// a[k * lda + i] when transA) and B pre-packed by <see cref="PackB"/>. Same rounding as the
    /// unpacked <see cref="Multiply(ComputeContext, Span{float}, int, ReadOnlySpan{float}, int, bool, ReadOnlySpan{float}, int, bool, int, int, int, bool)"/>,
    /// plus one final addition of the bias. When <paramref name="epilogue"/> is given it is then
    /// called once for every finished segment of every row of C (see <see cref="GemmRowEpilogue"/>),
    /// while that segment is still in cache: e.g. an activation fused into a linear layer.
    /// </summary>
    public static void Multiply(ComputeContext ctx, Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, PackedMatrix b, int m,
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool transA = false,
        GemmRowEpilogue? epilogue = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(b);
        int n = b.Columns, k = b.Rows;
        if (m < 0) throw new ArgumentException($"negative GEMM size m={m}");
        if (m == 0 || n == 0) return;
        if (ldc < n || (long)(m - 1) * ldc + n > c.Length) throw new ArgumentException($"C too small for {m}x{n} with ldc={ldc}: has {c.Length} floats");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} floats, expected {n} (columns of B)");
        if (k > 0)
        {
            int aRows = transA ? k : m, aCols = transA ? m : k;
            if (lda < aCols || (long)(aRows - 1) * lda + aCols > a.Length) throw new ArgumentException($"A too small for {aRows}x{aCols} with lda={lda}: has {a.Length} floats");
        }
        if (k == 0)
        {
            ClearUnlessAccumulate(c, ldc, m, n, accumulate);
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (!bias.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(row, bias, row);
                epilogue?.Invoke(row, i, 0);
            }
            return;
        }
        fixed (float* pc = c, pa = a, pbias = bias)
        {
            var job = new GemmJob
            {
                C = pc, Ldc = ldc, A = pa, Lda = lda, TransA = transA, PackedB = b.Data,
                Bias = bias.IsEmpty ? null : pbias, Epilogue = epilogue, M = m, N = n, K = k, Accumulate = accumulate,
            };
            Run(ctx, job);
            GC.KeepAlive(b);
        }
    }

    private static void Run(ComputeContext ctx, GemmJob job)
    {
        switch (ctx.Isa)
        {
            case IsaLevel.Avx512: GemmDriver<Avx512Kernel>.Run(ctx, job); break;
            case IsaLevel.Avx2: GemmDriver<Avx2Kernel>.Run(ctx, job); break;
            case IsaLevel.Vector128: GemmDriver<Vector128Kernel>.Run(ctx, job); break;
            default: GemmDriver<ScalarKernel>.Run(ctx, job); break;
        }
    }

    /// <summary>Packs B, spreading panels over threads when B is large.</summary>
    private static void PackInto(ComputeContext ctx, float* dst, float* b, nint ldb, bool transB, int k, int n)
    {
        int panels = GemmLayout.PaddedColumns(n) / GemmLayout.PanelWidth;
        if (ctx.Threads == 1 || panels < 2 || (long)k * n < (1 << 16))
        {
            GemmPacking.PackB(dst, b, ldb, transB, k, n, 0, panels, GemmPacking.CanTransposeSimd(ctx));
            return;
        }
        PackParallel(ctx, (nint)dst, (nint)b, ldb, transB, k, n, panels);
    }

    private static void PackParallel(ComputeContext ctx, nint dst, nint b, nint ldb, bool transB, int k, int n, int panels)
    {
        int chunks = Math.Min(panels, ctx.Threads * 2);
        bool simd = GemmPacking.CanTransposeSimd(ctx);
        ctx.For(chunks, t =>
        {
            int start = (int)((long)panels * t / chunks), end = (int)((long)panels * (t + 1) / chunks);
            GemmPacking.PackB((float*)dst, (float*)b, ldb, transB, k, n, start, end, simd);
        });
    }

    private static void ClearUnlessAccumulate(Span<float> c, int ldc, int m, int n, bool accumulate)
    {
        if (accumulate) return;
        for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
    }

    internal static void CheckArguments(Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB, int m, int n, int k)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"negative GEMM size m={m} n={n} k={k}");
        if (m == 0 || n == 0) return;
        if (ldc < n || (long)(m - 1) * ldc + n > c.Length) throw new ArgumentException($"C too small for {m}x{n} with ldc={ldc}");
        if (k == 0) return;
        int aRows = transA ? k : m, aCols = transA ? m : k;
        if (lda < aCols || (long)(aRows - 1) * lda + aCols > a.Length) throw new ArgumentException($"A too small for {aRows}x{aCols} with lda={lda}");
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (ldb < bCols || (long)(bRows - 1) * ldb + bCols > b.Length) throw new ArgumentException($"B too small for {bRows}x{bCols} with ldb={ldb}");
    }
}
