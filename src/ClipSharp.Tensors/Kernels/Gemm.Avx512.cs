using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// AVX-512F micro-kernel, 14 x 32 (and 1–13 x 32 for a short last row tile): 28 zmm accumulators, two B vectors and one broadcast of A per
/// step (31 of the 32 zmm registers). 28 FMAs per 2 vector loads + 14 broadcasts.
/// </summary>
internal readonly unsafe struct Avx512Kernel : IRowTileKernel
{
    public static int Mr => 14;
    private const int S = GemmLayout.ARowStride;
    public static int Nr => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add) => Tile<Rows14>(kc, a, S, b, c, ldc, add);

    /// <summary>
    /// <see cref="Run"/> reading A straight from a row-major matrix (row r at a + r·lda) instead of a packed
    /// panel: the same sums in the same order. Rows must not all share L1 sets (lda·4 not a multiple of 4 KiB).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunStrided(int kc, float* a, nint lda, float* b, float* c, nint ldc, bool add) => Tile<Rows14>(kc, a, lda, b, c, ldc, add);

    /// <summary>
    /// The tile: rows 0–2 at p0 + {0, 1, 2}·s, rows 3–5 at p3 + …, and so on (base + index·scale addressing,
    /// so a run-time stride costs no per-row arithmetic in the loop), specialised per row count: 14 for <see cref="Run"/>,
    /// 1–13 for the last row tile of an M that is not a multiple of 14 (8 of one image's 50 tokens), written straight to C
    /// where computing all 14 into a scratch tile cost 6 of 56 rows' work at M = 50.
    /// </summary>
    // Optimised from its first call, for every row count: the JIT does not inline a body this large into its callers, and
    // tiered compilation ran each rarely used row count's first calls unoptimised (seen in steady-state RN50 profiles).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows>(int kc, float* a, nint s, float* b, float* c, nint ldc, bool add) where TRows : struct, IRowCount
    {
        Vector512<float> c0_0 = default, c0_1 = default,
            c1_0 = default, c1_1 = default,
            c2_0 = default, c2_1 = default,
            c3_0 = default, c3_1 = default,
            c4_0 = default, c4_1 = default,
            c5_0 = default, c5_1 = default,
            c6_0 = default, c6_1 = default,
            c7_0 = default, c7_1 = default,
            c8_0 = default, c8_1 = default,
            c9_0 = default, c9_1 = default,
            c10_0 = default, c10_1 = default,
            c11_0 = default, c11_1 = default,
            c12_0 = default, c12_1 = default,
            c13_0 = default, c13_1 = default;
        Vector512<float> x;
        // Start fetching the C tile now so the final read-modify-write does not wait on L2/L3.
        for (int r = 0; r < TRows.Rows; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + 16);
        }
        float* p0 = a, p3 = a + 3 * s, p6 = a + 6 * s, p9 = a + 9 * s, p12 = a + 12 * s;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadAligned(b), b1 = Vector512.LoadAligned(b + 16);
            x = Vector512.Create(p0[0]); c0_0 = Avx512F.FusedMultiplyAdd(x, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(x, b1, c0_1);
            if (TRows.Rows > 1) { x = Vector512.Create(p0[s]); c1_0 = Avx512F.FusedMultiplyAdd(x, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(x, b1, c1_1); }
            if (TRows.Rows > 2) { x = Vector512.Create(p0[2 * s]); c2_0 = Avx512F.FusedMultiplyAdd(x, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(x, b1, c2_1); }
            if (TRows.Rows > 3) { x = Vector512.Create(p3[0]); c3_0 = Avx512F.FusedMultiplyAdd(x, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(x, b1, c3_1); }
            if (TRows.Rows > 4) { x = Vector512.Create(p3[s]); c4_0 = Avx512F.FusedMultiplyAdd(x, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(x, b1, c4_1); }
            if (TRows.Rows > 5) { x = Vector512.Create(p3[2 * s]); c5_0 = Avx512F.FusedMultiplyAdd(x, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(x, b1, c5_1); }
            if (TRows.Rows > 6) { x = Vector512.Create(p6[0]); c6_0 = Avx512F.FusedMultiplyAdd(x, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(x, b1, c6_1); }
            if (TRows.Rows > 7) { x = Vector512.Create(p6[s]); c7_0 = Avx512F.FusedMultiplyAdd(x, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(x, b1, c7_1); }
            if (TRows.Rows > 8) { x = Vector512.Create(p6[2 * s]); c8_0 = Avx512F.FusedMultiplyAdd(x, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(x, b1, c8_1); }
            if (TRows.Rows > 9) { x = Vector512.Create(p9[0]); c9_0 = Avx512F.FusedMultiplyAdd(x, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(x, b1, c9_1); }
            if (TRows.Rows > 10) { x = Vector512.Create(p9[s]); c10_0 = Avx512F.FusedMultiplyAdd(x, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(x, b1, c10_1); }
            if (TRows.Rows > 11) { x = Vector512.Create(p9[2 * s]); c11_0 = Avx512F.FusedMultiplyAdd(x, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(x, b1, c11_1); }
            if (TRows.Rows > 12) { x = Vector512.Create(p12[0]); c12_0 = Avx512F.FusedMultiplyAdd(x, b0, c12_0); c12_1 = Avx512F.FusedMultiplyAdd(x, b1, c12_1); }
            if (TRows.Rows > 13) { x = Vector512.Create(p12[s]); c13_0 = Avx512F.FusedMultiplyAdd(x, b0, c13_0); c13_1 = Avx512F.FusedMultiplyAdd(x, b1, c13_1); }
            p0++; p3++; p6++; p9++; p12++;
            b += GemmLayout.PanelWidth;
        }
        Store(c + 0 * ldc, c0_0, c0_1, add);
        if (TRows.Rows > 1) Store(c + 1 * ldc, c1_0, c1_1, add);
        if (TRows.Rows > 2) Store(c + 2 * ldc, c2_0, c2_1, add);
        if (TRows.Rows > 3) Store(c + 3 * ldc, c3_0, c3_1, add);
        if (TRows.Rows > 4) Store(c + 4 * ldc, c4_0, c4_1, add);
        if (TRows.Rows > 5) Store(c + 5 * ldc, c5_0, c5_1, add);
        if (TRows.Rows > 6) Store(c + 6 * ldc, c6_0, c6_1, add);
        if (TRows.Rows > 7) Store(c + 7 * ldc, c7_0, c7_1, add);
        if (TRows.Rows > 8) Store(c + 8 * ldc, c8_0, c8_1, add);
        if (TRows.Rows > 9) Store(c + 9 * ldc, c9_0, c9_1, add);
        if (TRows.Rows > 10) Store(c + 10 * ldc, c10_0, c10_1, add);
        if (TRows.Rows > 11) Store(c + 11 * ldc, c11_0, c11_1, add);
        if (TRows.Rows > 12) Store(c + 12 * ldc, c12_0, c12_1, add);
        if (TRows.Rows > 13) Store(c + 13 * ldc, c13_0, c13_1, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool add)
    {
        if (add)
        {
            v0 = Vector512.Load(c) + v0;
            v1 = Vector512.Load(c + 16) + v1;
        }
        Vector512.Store(v0, c);
        Vector512.Store(v1, c + 16);
    }
}
