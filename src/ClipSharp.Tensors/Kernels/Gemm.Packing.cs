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
    /// Packs all of B (k x n) into K blocks of <see cref="GemmLayout.Kc"/>, each a run of
    /// <see cref="GemmLayout.PanelWidth"/>-column panels (see <see cref="GemmLayout.PanelOffset"/>):
    /// panel[p * PanelWidth + j] = B[p0 + p, j0 + j] (0 past column n).
    /// B[p, j] = b[p * ldb + j], or b[j * ldb + p] when transB. Panels [panelStart, panelEnd) only.
    /// </summary>
    public static void PackB(float* dst, float* b, nint ldb, bool transB, int k, int n, int panelStart, int panelEnd)
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
                if (transB)
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
