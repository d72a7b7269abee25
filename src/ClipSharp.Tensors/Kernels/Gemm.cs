using System.Runtime.Intrinsics;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// General matrix multiply on row-major float32 matrices:
/// C[i, j] = (accumulate ? C[i, j] : 0) + sum_k A[i, k] * B[k, j], for i &lt; m, j &lt; n, k &lt; K,
/// where A[i, k] = a[i * lda + k] (or a[k * lda + i] when transA) and
/// B[k, j] = b[k * ldb + j] (or b[j * ldb + k] when transB); C[i, j] = c[i * ldc + j].
/// Linear layers call it with transB = true on weights stored (out, in), as PyTorch stores them.
/// </summary>
public static partial class Gemm
{
    /// <summary>Dispatches to the fastest path the context allows. Overwrites C unless accumulate.</summary>
    public static void Multiply(ComputeContext ctx, Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        int m, int n, int k, bool accumulate = false)
    {
        CheckArguments(c, ldc, a, lda, transA, b, ldb, transB, m, n, k);
        switch (ctx.Isa)
        {
            case IsaLevel.Avx512 when Vector512.IsHardwareAccelerated:
                Packed<Vector512<float>, Simd512>(ctx, c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
                break;
            case >= IsaLevel.Avx2 when Vector256.IsHardwareAccelerated:
                Packed<Vector256<float>, Simd256>(ctx, c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
                break;
            case >= IsaLevel.Vector128 when Vector128.IsHardwareAccelerated:
                Packed<Vector128<float>, Simd128>(ctx, c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
                break;
            default:
                Reference(c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
                break;
        }
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
