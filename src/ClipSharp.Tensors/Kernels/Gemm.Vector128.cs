using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Portable Vector128 micro-kernel, 4 x 8 (8 accumulators; fits the 16 registers of SSE and the 32 of
/// NEON). Uses <see cref="Vector128.FusedMultiplyAdd(Vector128{float}, Vector128{float}, Vector128{float})"/>,
/// which is exact (single rounding) on every platform, emulated where the hardware has no FMA.
/// </summary>
internal readonly unsafe struct Vector128Kernel : IMicroKernel
{
    public static int Mr => 4;
    private const int S = GemmLayout.ARowStride;
    public static int Nr => 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        Vector128<float> c0_0 = default, c0_1 = default,
            c1_0 = default, c1_1 = default,
            c2_0 = default, c2_1 = default,
            c3_0 = default, c3_1 = default;
        Vector128<float> x;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b), b1 = Vector128.Load(b + 4);
            x = Vector128.Create(a[0]); c0_0 = Vector128.FusedMultiplyAdd(x, b0, c0_0); c0_1 = Vector128.FusedMultiplyAdd(x, b1, c0_1);
            x = Vector128.Create(a[1 * S]); c1_0 = Vector128.FusedMultiplyAdd(x, b0, c1_0); c1_1 = Vector128.FusedMultiplyAdd(x, b1, c1_1);
            x = Vector128.Create(a[2 * S]); c2_0 = Vector128.FusedMultiplyAdd(x, b0, c2_0); c2_1 = Vector128.FusedMultiplyAdd(x, b1, c2_1);
            x = Vector128.Create(a[3 * S]); c3_0 = Vector128.FusedMultiplyAdd(x, b0, c3_0); c3_1 = Vector128.FusedMultiplyAdd(x, b1, c3_1);
            a++;
            b += GemmLayout.PanelWidth;
        }
        Store(c + 0 * ldc, c0_0, c0_1, add);
        Store(c + 1 * ldc, c1_0, c1_1, add);
        Store(c + 2 * ldc, c2_0, c2_1, add);
        Store(c + 3 * ldc, c3_0, c3_1, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector128<float> v0, Vector128<float> v1, bool add)
    {
        if (add)
        {
            v0 = Vector128.Load(c) + v0;
            v1 = Vector128.Load(c + 4) + v1;
        }
        Vector128.Store(v0, c);
        Vector128.Store(v1, c + 4);
    }
}
