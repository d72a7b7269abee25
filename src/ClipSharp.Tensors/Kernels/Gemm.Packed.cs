using System.Buffers;
using System.Runtime.CompilerServices;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Packed, cache-blocked GEMM (GotoBLAS/BLIS loop structure) with a register-blocked MR × NR
/// micro-kernel, NR = two vectors of the chosen width. Loops: columns in NC blocks → depth in KC
/// blocks (B packed once per block, shared) → row blocks of MC in parallel, each packing its own A.
/// Every output element is accumulated over k in the same order whatever the thread count.
/// </summary>
public static partial class Gemm
{
    private const int MR = 6;
    private const int KC = 256;
    private const int MC = 96;
    private const int NC = 1024;

    internal static unsafe void Packed<TV, TS>(ComputeContext ctx, Span<float> c, int ldc,
        ReadOnlySpan<float> a, int lda, bool transA, ReadOnlySpan<float> b, int ldb, bool transB,
        int m, int n, int k, bool accumulate)
        where TV : struct where TS : ISimd<TV>
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        int nr = 2 * TS.Width;
        int ncMax = Math.Min(NC, RoundUp(n, nr));
        var packedB = ArrayPool<float>.Shared.Rent(KC * ncMax);
        fixed (float* pa0 = a, pb0 = b, pc0 = c, pB = packedB)
        {
            var (aPtr, bPtr, cPtr, bPack) = ((nint)pa0, (nint)pb0, (nint)pc0, (nint)pB);
            for (int jc = 0; jc < n; jc += NC)
            {
                int nc = Math.Min(NC, n - jc);
                int panels = (nc + nr - 1) / nr;
                for (int pc = 0; pc < k; pc += KC)
                {
                    int kc = Math.Min(KC, k - pc);
                    PackB((float*)bPack, (float*)bPtr, ldb, transB, pc, kc, jc, nc, nr);
                    bool overwrite = pc == 0 && !accumulate;
                    int mBlocks = (m + MC - 1) / MC;
                    // Enough tasks for every thread: split column panels into groups when rows are few.
                    int groups = Math.Clamp((2 * ctx.Threads + mBlocks - 1) / mBlocks, 1, panels);
                    int panelsPerGroup = (panels + groups - 1) / groups;
                    groups = (panels + panelsPerGroup - 1) / panelsPerGroup;
                    ctx.For(mBlocks * groups, task =>
                    {
                        int ic = task / groups * MC, group = task % groups;
                        int mc = Math.Min(MC, m - ic);
                        var packedA = ArrayPool<float>.Shared.Rent(RoundUp(mc, MR) * kc);
                        fixed (float* pA = packedA)
                        {
                            PackA(pA, (float*)aPtr, lda, transA, ic, mc, pc, kc);
                            int p0 = group * panelsPerGroup, p1 = Math.Min(panels, p0 + panelsPerGroup);
                            for (int p = p0; p < p1; p++)
                            {
                                int col = p * nr, cols = Math.Min(nr, nc - col);
                                float* bp = (float*)bPack + (long)p * kc * nr;
                                for (int ir = 0; ir < mc; ir += MR)
                                {
                                    float* cTile = (float*)cPtr + (long)(ic + ir) * ldc + jc + col;
                                    Kernel<TV, TS>(pA + (long)ir * kc, bp, kc, cTile, ldc, Math.Min(MR, mc - ir), cols, overwrite);
                                }
                            }
                        }
                        ArrayPool<float>.Shared.Return(packedA);
                    });
                }
            }
        }
        ArrayPool<float>.Shared.Return(packedB);
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>packed[p][kk][x] = B[pc + kk, jc + p·nr + x] (0 past column nc).</summary>
    private static unsafe void PackB(float* packed, float* b, int ldb, bool transB, int pc, int kc, int jc, int nc, int nr)
    {
        for (int col0 = 0; col0 < nc; col0 += nr)
        {
            int cols = Math.Min(nr, nc - col0);
            float* dst = packed + (long)(col0 / nr) * kc * nr;
            for (int kk = 0; kk < kc; kk++)
            {
                float* row = dst + kk * nr;
                if (!transB)
                {
                    float* src = b + (long)(pc + kk) * ldb + jc + col0;
                    new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(row, cols));
                }
                else
                {
                    for (int x = 0; x < cols; x++) row[x] = b[(long)(jc + col0 + x) * ldb + pc + kk];
                }
                for (int x = cols; x < nr; x++) row[x] = 0f;
            }
        }
    }

    /// <summary>packed[r][kk][y] = A[ic + r·MR + y, pc + kk] (0 past row mc).</summary>
    private static unsafe void PackA(float* packed, float* a, int lda, bool transA, int ic, int mc, int pc, int kc)
    {
        for (int r0 = 0; r0 < mc; r0 += MR)
        {
            int rows = Math.Min(MR, mc - r0);
            float* dst = packed + (long)r0 * kc;
            for (int kk = 0; kk < kc; kk++)
            {
                float* col = dst + kk * MR;
                for (int y = 0; y < rows; y++)
                    col[y] = transA ? a[(long)(pc + kk) * lda + ic + r0 + y] : a[(long)(ic + r0 + y) * lda + pc + kk];
                for (int y = rows; y < MR; y++) col[y] = 0f;
            }
        }
    }

    /// <summary>C[0..rows, 0..cols] (+)= packedA (MR × kc) · packedB (kc × 2W), 12 vector accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel<TV, TS>(float* pa, float* pb, int kc, float* c, int ldc, int rows, int cols, bool overwrite)
        where TV : struct where TS : ISimd<TV>
    {
        int w = TS.Width;
        TV c0 = TS.Zero, c1 = TS.Zero, c2 = TS.Zero, c3 = TS.Zero, c4 = TS.Zero, c5 = TS.Zero;
        TV d0 = TS.Zero, d1 = TS.Zero, d2 = TS.Zero, d3 = TS.Zero, d4 = TS.Zero, d5 = TS.Zero;
        for (int kk = 0; kk < kc; kk++)
        {
            TV b0 = TS.Load(ref pb[0]);
            TV b1 = TS.Load(ref pb[w]);
            TV x = TS.Broadcast(pa[0]); c0 = TS.Fma(x, b0, c0); d0 = TS.Fma(x, b1, d0);
            x = TS.Broadcast(pa[1]); c1 = TS.Fma(x, b0, c1); d1 = TS.Fma(x, b1, d1);
            x = TS.Broadcast(pa[2]); c2 = TS.Fma(x, b0, c2); d2 = TS.Fma(x, b1, d2);
            x = TS.Broadcast(pa[3]); c3 = TS.Fma(x, b0, c3); d3 = TS.Fma(x, b1, d3);
            x = TS.Broadcast(pa[4]); c4 = TS.Fma(x, b0, c4); d4 = TS.Fma(x, b1, d4);
            x = TS.Broadcast(pa[5]); c5 = TS.Fma(x, b0, c5); d5 = TS.Fma(x, b1, d5);
            pa += MR;
            pb += 2 * w;
        }
        if (rows == MR && cols == 2 * w)
        {
            StoreRow<TV, TS>(c, w, c0, d0, overwrite); StoreRow<TV, TS>(c + ldc, w, c1, d1, overwrite);
            StoreRow<TV, TS>(c + 2 * ldc, w, c2, d2, overwrite); StoreRow<TV, TS>(c + 3 * ldc, w, c3, d3, overwrite);
            StoreRow<TV, TS>(c + 4 * ldc, w, c4, d4, overwrite); StoreRow<TV, TS>(c + 5 * ldc, w, c5, d5, overwrite);
            return;
        }
        // Edge tile: spill to a local buffer, then copy the valid part.
        float* tile = stackalloc float[MR * 32];
        int stride = 2 * w;
        TS.Store(ref tile[0], c0); TS.Store(ref tile[w], d0);
        TS.Store(ref tile[stride], c1); TS.Store(ref tile[stride + w], d1);
        TS.Store(ref tile[2 * stride], c2); TS.Store(ref tile[2 * stride + w], d2);
        TS.Store(ref tile[3 * stride], c3); TS.Store(ref tile[3 * stride + w], d3);
        TS.Store(ref tile[4 * stride], c4); TS.Store(ref tile[4 * stride + w], d4);
        TS.Store(ref tile[5 * stride], c5); TS.Store(ref tile[5 * stride + w], d5);
        for (int r = 0; r < rows; r++)
        for (int x = 0; x < cols; x++)
            c[(long)r * ldc + x] = overwrite ? tile[r * stride + x] : c[(long)r * ldc + x] + tile[r * stride + x];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreRow<TV, TS>(float* c, int w, TV lo, TV hi, bool overwrite) where TV : struct where TS : ISimd<TV>
    {
        if (!overwrite)
        {
            lo = TS.Add(TS.Load(ref c[0]), lo);
            hi = TS.Add(TS.Load(ref c[w]), hi);
        }
        TS.Store(ref c[0], lo);
        TS.Store(ref c[w], hi);
    }
}
