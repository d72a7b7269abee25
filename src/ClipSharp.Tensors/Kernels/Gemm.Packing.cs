using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Copies blocks of A and B into the panel layouts the micro-kernels read (see
/// <see cref="IMicroKernel"/>), zero-filling rows and columns past the matrix edge so kernels always
/// compute full tiles.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [i0, i0 + mc) and depth [p0, p0 + kc) of A into ceil(mc / mr) panels of mr rows:
    /// dst[(ip + r) * S + p] = A[i0 + ip + r, p0 + p] with S = <see cref="GemmLayout.ARowStride"/>
    /// (rows past m are zero). A[i, p] = a[i * lda + p], or a[p * lda + i] when transA.
    /// </summary>
    public static void PackA(float* dst, float* a, nint lda, bool transA, int i0, int mc, int p0, int kc, int mr)
    {
        const int S = GemmLayout.ARowStride;
        int rowsPadded = (mc + mr - 1) / mr * mr;
        if (transA)
        {
            // Row p of the source holds column p of A: scatter it down the packed rows.
            for (int p = 0; p < kc; p++)
            {
                float* s = a + (nint)(p0 + p) * lda + i0;
                float* d = dst + p;
                for (int r = 0; r < mc; r++) d[(nint)r * S] = s[r];
            }
        }
        else
        {
            for (int r = 0; r < mc; r++)
                new ReadOnlySpan<float>(a + (nint)(i0 + r) * lda + p0, kc).CopyTo(new Span<float>(dst + (nint)r * S, kc));
        }
        for (int r = mc; r < rowsPadded; r++) new Span<float>(dst + (nint)r * S, kc).Clear();
    }

    /// <summary>
    /// True when <see cref="PackB"/> may gather transposed panels with AVX2 (row offsets of a
    /// 32-row panel must fit in int32).
    /// </summary>
    public static bool CanGather(ComputeContext ctx, nint ldb) =>
        ctx.Isa >= IsaLevel.Avx2 && Avx2.IsSupported && ldb <= int.MaxValue / GemmLayout.PanelWidth;

    /// <summary>
    /// One full transposed panel: d[p * 32 + j] = s[j * ldb + p] for p &lt; kc, j &lt; 32, two
    /// 8-lane gathers per p (a pure copy: bit-identical to the scalar loop).
    /// </summary>
    private static void GatherPanel(float* d, float* s, int ldb, int kc)
    {
        var i0 = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * ldb;
        var i1 = i0 + Vector256.Create(8 * ldb);
        var i2 = i1 + Vector256.Create(8 * ldb);
        var i3 = i2 + Vector256.Create(8 * ldb);
        for (int p = 0; p < kc; p++)
        {
            float* dp = d + (nint)p * GemmLayout.PanelWidth;
            Vector256.Store(Avx2.GatherVector256(s + p, i0, 4), dp);
            Vector256.Store(Avx2.GatherVector256(s + p, i1, 4), dp + 8);
            Vector256.Store(Avx2.GatherVector256(s + p, i2, 4), dp + 16);
            Vector256.Store(Avx2.GatherVector256(s + p, i3, 4), dp + 24);
        }
    }

    /// <summary>
    /// Packs all of B (k x n) into K blocks of <see cref="GemmLayout.Kc"/>, each a run of
    /// <see cref="GemmLayout.PanelWidth"/>-column panels (see <see cref="GemmLayout.PanelOffset"/>):
    /// panel[p * PanelWidth + j] = B[p0 + p, j0 + j] (0 past column n).
    /// B[p, j] = b[p * ldb + j], or b[j * ldb + p] when transB. Panels [panelStart, panelEnd) only.
    /// </summary>
    public static void PackB(float* dst, float* b, nint ldb, bool transB, int k, int n, int panelStart, int panelEnd, bool useGather)
    {
        const int W = GemmLayout.PanelWidth;
        int paddedN = GemmLayout.PaddedColumns(n);
        for (int p0 = 0; p0 < k; p0 += GemmLayout.Kc)
        {
            int kc = Math.Min(GemmLayout.Kc, k - p0);
            for (int panel = panelStart; panel < panelEnd; panel++)
            {
                int j0 = panel * W;
                int cols = Math.Min(W, n - j0);
                float* d = dst + GemmLayout.PanelOffset(p0, kc, j0, paddedN);
                if (transB && useGather && cols == W)
                {
                    GatherPanel(d, b + (nint)j0 * ldb + p0, (int)ldb, kc);
                }
                else if (transB)
                {
                    // Source rows are columns of B: read 32 sequential streams, write sequentially.
                    float* s = b + (nint)j0 * ldb + p0;
                    for (int p = 0; p < kc; p++)
                    {
                        float* dp = d + (nint)p * W;
                        int j = 0;
                        for (; j < cols; j++) dp[j] = s[(nint)j * ldb + p];
                        for (; j < W; j++) dp[j] = 0f;
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        float* s = b + (nint)(p0 + p) * ldb + j0;
                        float* dp = d + (nint)p * W;
                        new ReadOnlySpan<float>(s, cols).CopyTo(new Span<float>(dp, cols));
                        if (cols < W) new Span<float>(dp + cols, W - cols).Clear();
                    }
                }
            }
        }
    }
}
