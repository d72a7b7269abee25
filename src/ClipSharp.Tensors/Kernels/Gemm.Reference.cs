namespace ClipSharp.Tensors.Kernels;

public static partial class Gemm
{
    /// <summary>
    /// Scalar reference GEMM (same contract as <see cref="Multiply(ComputeContext, Span{float}, int, ReadOnlySpan{float}, int, bool, ReadOnlySpan{float}, int, bool, int, int, int, bool)"/>); sums over k in increasing
    /// order in double precision. Slow; used by tests as ground truth.
    /// </summary>
    public static void Reference(Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transA,
        ReadOnlySpan<float> b, int ldb, bool transB,
        int m, int n, int k, bool accumulate = false)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA ? a[p * lda + i] : a[i * lda + p];
                    float bv = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }
                c[i * ldc + j] = (float)sum;
            }
        }
    }
}
