using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Copies blocks of A and B into the panel layouts the micro-kernels read (see
/// <see cref="IMicroKernel"/>), zero-filling rows and columns past the matrix edge so kernels always
/// compute full tiles.
/// </summary>
internal static unsafe partial class GemmPacking
{
    /// <summary>
    /// Packs rows [i0, i0 + mc) and depth [p0, p0 + kc) of A into ceil(mc / mr) panels of mr rows:
    /// dst[(ip + r) * S + p] = A[i0 + ip + r, p0 + p] with S = <see cref="GemmLayout.ARowStride"/>
    /// (rows past m are zero). A[i, p] = a[i * lda + p], or a[p * lda + i] when transA.
    /// <paramref name="simd"/> allows AVX register transposes (a pure copy either way).
    /// </summary>
    public static void PackA(float* dst, float* a, nint lda, bool transA, int i0, int mc, int p0, int kc, int mr, bool simd)
    {
        const int S = GemmLayout.ARowStride;
        int rowsPadded = (mc + mr - 1) / mr * mr;
        if (transA)
        {
            // Row p of the source holds column p of A: transpose 8 x 8 blocks, then the ragged rest.
            int fullR = simd ? mc & ~7 : 0, fullP = simd ? kc & ~7 : 0;
            for (int r = 0; r < fullR; r += 8)
                for (int p = 0; p < fullP; p += 8)
                    Transpose8x8(a + (nint)(p0 + p) * lda + i0 + r, lda, dst + (nint)r * S + p, S);
            for (int p = 0; p < kc; p++)
            {
                float* s = a + (nint)(p0 + p) * lda + i0;
                float* d = dst + p;
                for (int r = p < fullP ? fullR : 0; r < mc; r++) d[(nint)r * S] = s[r];
            }
        }
        else
        {
            for (int r = 0; r < mc; r++)
                new ReadOnlySpan<float>(a + (nint)(i0 + r) * lda + p0, kc).CopyTo(new Span<float>(dst + (nint)r * S, kc));
        }
        for (int r = mc; r < rowsPadded; r++) new Span<float>(dst + (nint)r * S, kc).Clear();
    }

    /// <summary>True when <see cref="PackB"/> may transpose panels with AVX shuffles.</summary>
    public static bool CanTransposeSimd(ComputeContext ctx) => ctx.Isa >= IsaLevel.Avx2 && Avx.IsSupported;

    /// <summary>
    /// Transposed panel: d[p * 32 + j] = s[j * ldb + p] for p &lt; kc, j &lt; cols, with 8 x 8 register
    /// transposes over whole blocks and a scalar loop for the rest (a pure copy, so bit-identical to
    /// the scalar path). Columns [cols, 32) are zero.
    /// </summary>
    private static void TransposePanel(float* d, float* s, nint ldb, int kc, int cols)
    {
        const int W = GemmLayout.PanelWidth;
        int fullCols = cols & ~7, fullP = kc & ~7;
        for (int jb = 0; jb < fullCols; jb += 8)
        {
            float* src = s + jb * ldb;
            for (int p = 0; p < fullP; p += 8)
                Transpose8x8(src + p, ldb, d + (nint)p * W + jb, W);
        }
        for (int p = 0; p < kc; p++)
        {
            float* dp = d + (nint)p * W;
            int j = p < fullP ? fullCols : 0;
            for (; j < cols; j++) dp[j] = s[j * ldb + p];
            for (; j < W; j++) dp[j] = 0f;
        }
    }

    /// <summary>dst[q * ldd + r] = src[r * lds + q] for r, q &lt; 8.</summary>
    private static void Transpose8x8(float* src, nint lds, float* dst, nint ldd)
    {
        Vector256<float> r0 = Avx.LoadVector256(src), r1 = Avx.LoadVector256(src + lds),
            r2 = Avx.LoadVector256(src + 2 * lds), r3 = Avx.LoadVector256(src + 3 * lds),
            r4 = Avx.LoadVector256(src + 4 * lds), r5 = Avx.LoadVector256(src + 5 * lds),
            r6 = Avx.LoadVector256(src + 6 * lds), r7 = Avx.LoadVector256(src + 7 * lds);
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1),
            t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3),
            t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5),
            t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE),
            u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE),
            u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE),
            u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Packs all of B (k x n) into K blocks of <see cref="GemmLayout.Kc"/>, each a run of
    /// <see cref="GemmLayout.PanelWidth"/>-column panels (see <see cref="GemmLayout.PanelOffset"/>):
    /// panel[p * PanelWidth + j] = B[p0 + p, j0 + j] (0 past column n).
    /// B[p, j] = b[p * ldb + j], or b[j * ldb + p] when transB. Panels [panelStart, panelEnd) only.
    /// </summary>
    public static void PackB(float* dst, float* b, nint ldb, bool transB, int k, int n, int panelStart, int panelEnd, bool simd)
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
                if (transB && simd)
                {
                    TransposePanel(d, b + (nint)j0 * ldb + p0, ldb, kc, cols);
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
