using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// AVX2 + FMA micro-kernel, 6 x 16: 12 ymm accumulators, two B vectors and one broadcast of A per
/// step (15 of the 16 ymm registers). Reads the left or right half of a 32-wide packed panel.
/// </summary>
internal readonly unsafe struct Avx2Kernel : IRowTileKernel
{
    public static int Mr => 6;
    private const int S = GemmLayout.ARowStride;
    public static int Nr => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add) => Tile<Rows6>(kc, a, S, b, c, ldc, add);

    /// <summary>
    /// The same tile reading A where it is (row-major, rows <paramref name="lda"/> floats apart) instead of a
    /// packed panel: the same sums in the same order, without copying A first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RunStrided(int kc, float* a, nint lda, float* b, float* c, nint ldc, bool add) => Tile<Rows6>(kc, a, lda, b, c, ldc, add);

    /// <summary>
    /// The tile, specialised by the JIT per row count (the row branches fold away, unused accumulators vanish):
    /// rows 0–2 at p0 + {0, 1, 2}·s and rows 3–5 at p3 + … (base + index·scale addressing for a run-time stride).
    /// </summary>
    // Optimised from its first call, for every row count: the JIT does not inline a body this large into its callers, and
    // tiered compilation ran each rarely used row count's first calls unoptimised (seen in steady-state RN50 profiles).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile<TRows>(int kc, float* a, nint s, float* b, float* c, nint ldc, bool add) where TRows : struct, IRowCount
    {
        Vector256<float> c0_0 = default, c0_1 = default,
            c1_0 = default, c1_1 = default,
            c2_0 = default, c2_1 = default,
            c3_0 = default, c3_1 = default,
            c4_0 = default, c4_1 = default,
            c5_0 = default, c5_1 = default;
        Vector256<float> x;
        // Start fetching the C tile now so the final read-modify-write does not wait on L2/L3.
        for (int r = 0; r < TRows.Rows; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + 15);
        }
        float* p0 = a, p3 = a + 3 * s;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Vector256.Load(b), b1 = Vector256.Load(b + 8);
            x = Vector256.Create(p0[0]); c0_0 = Fma.MultiplyAdd(x, b0, c0_0); c0_1 = Fma.MultiplyAdd(x, b1, c0_1);
            if (TRows.Rows > 1) { x = Vector256.Create(p0[s]); c1_0 = Fma.MultiplyAdd(x, b0, c1_0); c1_1 = Fma.MultiplyAdd(x, b1, c1_1); }
            if (TRows.Rows > 2) { x = Vector256.Create(p0[2 * s]); c2_0 = Fma.MultiplyAdd(x, b0, c2_0); c2_1 = Fma.MultiplyAdd(x, b1, c2_1); }
            if (TRows.Rows > 3) { x = Vector256.Create(p3[0]); c3_0 = Fma.MultiplyAdd(x, b0, c3_0); c3_1 = Fma.MultiplyAdd(x, b1, c3_1); }
            if (TRows.Rows > 4) { x = Vector256.Create(p3[s]); c4_0 = Fma.MultiplyAdd(x, b0, c4_0); c4_1 = Fma.MultiplyAdd(x, b1, c4_1); }
            if (TRows.Rows > 5) { x = Vector256.Create(p3[2 * s]); c5_0 = Fma.MultiplyAdd(x, b0, c5_0); c5_1 = Fma.MultiplyAdd(x, b1, c5_1); }
            p0++;
            p3++;
            b += GemmLayout.PanelWidth;
        }
        Store(c + 0 * ldc, c0_0, c0_1, add);
        if (TRows.Rows > 1) Store(c + 1 * ldc, c1_0, c1_1, add);
        if (TRows.Rows > 2) Store(c + 2 * ldc, c2_0, c2_1, add);
        if (TRows.Rows > 3) Store(c + 3 * ldc, c3_0, c3_1, add);
        if (TRows.Rows > 4) Store(c + 4 * ldc, c4_0, c4_1, add);
        if (TRows.Rows > 5) Store(c + 5 * ldc, c5_0, c5_1, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> v0, Vector256<float> v1, bool add)
    {
        if (add)
        {
            v0 = Vector256.Load(c) + v0;
            v1 = Vector256.Load(c + 8) + v1;
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}
