namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Scalar micro-kernel, 4 x 8, using <see cref="MathF.FusedMultiplyAdd"/> so it rounds exactly like
/// the SIMD kernels. Used when no SIMD is available (e.g. DOTNET_EnableHWIntrinsic=0).
/// </summary>
internal readonly unsafe struct ScalarKernel : IMicroKernel
{
    public static int Mr => 4;
    public static int Nr => 8;

    public static void Run(int kc, float* a, float* b, float* c, nint ldc, bool add)
    {
        float* acc = stackalloc float[4 * 8];
        for (int t = 0; t < 4 * 8; t++) acc[t] = 0f;
        for (int p = 0; p < kc; p++)
        {
            for (int r = 0; r < 4; r++)
            {
                float x = a[r * GemmLayout.ARowStride];
                for (int j = 0; j < 8; j++) acc[r * 8 + j] = MathF.FusedMultiplyAdd(x, b[j], acc[r * 8 + j]);
            }
            a++;
            b += GemmLayout.PanelWidth;
        }
        for (int r = 0; r < 4; r++)
        {
            float* row = c + r * ldc;
            for (int j = 0; j < 8; j++) row[j] = add ? row[j] + acc[r * 8 + j] : acc[r * 8 + j];
        }
    }
}
