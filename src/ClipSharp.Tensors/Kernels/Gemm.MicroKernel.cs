namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: computes one <see cref="Mr"/> x <see cref="Nr"/> tile
/// T[r, j] = sum_{p &lt; kc} A[p, r] * B[p, j] from packed panels, summing p in increasing order with
/// one fused multiply-add per step (acc = fma(a, b, acc), acc starting at 0), then writes
/// C[r, j] = T[r, j] (add = false) or C[r, j] = C[r, j] + T[r, j] (add = true).
/// Every implementation performs exactly this sequence of roundings, so all ISA paths agree bit for bit.
/// </summary>
/// <remarks>
/// Packed A: <see cref="Mr"/> rows of kc floats, <see cref="GemmLayout.ARowStride"/> apart
/// (a[r * ARowStride + p]; a fixed stride lets kernels address rows with constant offsets, and makes
/// packing row-major A a plain copy). Packed B: kc rows of
/// <see cref="GemmLayout.PanelWidth"/> floats, of which the kernel reads its <see cref="Nr"/>
/// (b[p * PanelWidth + j]). C rows are <c>ldc</c> floats apart; the whole tile must be writable.
/// </remarks>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of C per tile.</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of C per tile; divides <see cref="GemmLayout.PanelWidth"/>.</summary>
    static abstract int Nr { get; }

    /// <summary>Computes one full tile (see the type's summary).</summary>
    static abstract void Run(int kc, float* a, float* b, float* c, nint ldc, bool add);
}

/// <summary>Blocking constants shared by packing, kernels and <see cref="PackedMatrix"/>.</summary>
internal static class GemmLayout
{
    /// <summary>Columns per packed B panel (all kernels read panels of this width).</summary>
    public const int PanelWidth = 32;

    /// <summary>
    /// Depth of one K block. Fixed for every ISA and thread count so that each output is summed
    /// in the same order everywhere: per block in registers, then added to C block by block.
    /// </summary>
    public const int Kc = 256;

    /// <summary>
    /// Distance in floats between rows of a packed A panel: Kc plus one cache line, so the Mr rows
    /// do not all fall in the same L1 sets.
    /// </summary>
    public const int ARowStride = Kc + 16;

    /// <summary>Target rows of A per packed block (rounded down to a multiple of Mr): 168 x 272 floats = 179 KiB, L2-resident.</summary>
    public const int McTarget = 168;

    /// <summary>
    /// K depth handled per parallel phase (a multiple of Kc): one phase of a 768-column task reads
    /// 768 x 768 floats (2.25 MiB) of packed B, which stays in L3 while all row blocks use it.
    /// </summary>
    public const int PhaseDepth = 3 * Kc;

    /// <summary>Most columns of C per task: 168 x 768 floats of C (504 KiB) stay in L2 with the packed A.</summary>
    public const int NcMax = 768;

    /// <summary>Rounds <paramref name="n"/> up to whole panels.</summary>
    public static int PaddedColumns(int n) => (n + PanelWidth - 1) / PanelWidth * PanelWidth;

    /// <summary>
    /// Offset, in floats, of the packed panel holding columns [j0, j0 + PanelWidth) for the K block
    /// starting at <paramref name="p0"/> with depth <paramref name="kc"/>, in a B packed with
    /// <paramref name="paddedN"/> columns: blocks are stored one after another, each as consecutive panels.
    /// </summary>
    public static long PanelOffset(int p0, int kc, int j0, int paddedN) => (long)p0 * paddedN + (long)j0 * kc;
}
