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
    /// Whether GEMM tasks ask for the next packed-B panel while multiplying this one (<see cref="GemmDriver{TKernel}"/>); null:
    /// the AVX2 and narrower kernels do, the AVX-512 one does not. Measured: +5–10% at M = 50 on AMD Zen 1 (AVX2), where
    /// every panel comes from memory; 1–5% slower on every CLIP shape, M = 50 included, on AMD Zen 4 (AVX-512), whose
    /// hardware prefetchers do better alone (`ClipSharp.Bench.dll prefetch` A/Bs the two in one process).
    /// </summary>
    internal static bool? PrefetchNextPanel;

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

    /// <summary>
    /// Most columns of C per task, so that the task's McTarget rows of C stay in L2 beside its packed A:
    /// 768 (504 KiB of C) on a 1 MiB L2 (Zen 4/5, recent Intel), 384 on a 512 KiB one (Zen 2/3), where 768
    /// columns sent every C tile's read-modify-write to L3. The split changes no sum's order.
    /// </summary>
    public static readonly int NcMax = ColumnsForL2(CacheSizes.L2Bytes);

    internal static int ColumnsForL2(long l2Bytes)
    {
        // C block + packed A block in at most ~90 % of L2, in whole panels, between 4 and 24 panels.
        long floats = l2Bytes * 9 / 10 / sizeof(float) / McTarget - ARowStride;
        int panels = (int)Math.Clamp(floats / PanelWidth, 4, 24);
        return (panels >= 12 ? panels / 12 * 12 : panels) * PanelWidth;
    }

    /// <summary>Rounds <paramref name="n"/> up to whole panels.</summary>
    public static int PaddedColumns(int n) => (n + PanelWidth - 1) / PanelWidth * PanelWidth;

    /// <summary>
    /// Offset, in floats, of the packed panel holding columns [j0, j0 + PanelWidth) for the K block
    /// starting at <paramref name="p0"/> with depth <paramref name="kc"/>, in a B packed with
    /// <paramref name="paddedN"/> columns: blocks are stored one after another, each as consecutive panels.
    /// </summary>
    public static long PanelOffset(int p0, int kc, int j0, int paddedN) => (long)p0 * paddedN + (long)j0 * kc;
}

/// <summary>This machine's per-core L2 size (Linux sysfs; 1 MiB where it cannot be read). CLIPSHARP_L2_BYTES overrides.</summary>
internal static class CacheSizes
{
    public static readonly long L2Bytes = Read();

    private static long Read()
    {
        if (long.TryParse(Environment.GetEnvironmentVariable("CLIPSHARP_L2_BYTES"), out long forced) && forced > 0) return forced;
        try
        {
            for (int index = 0; index < 8; index++)
            {
                string dir = $"/sys/devices/system/cpu/cpu0/cache/index{index}";
                if (!Directory.Exists(dir)) break;
                if (File.ReadAllText(Path.Combine(dir, "level")).Trim() != "2") continue;
                string size = File.ReadAllText(Path.Combine(dir, "size")).Trim();   // e.g. "512K"
                long scale = size.EndsWith('K') ? 1024 : size.EndsWith('M') ? 1024 * 1024 : 1;
                if (long.TryParse(size.TrimEnd('K', 'M'), out long value) && value > 0) return value * scale;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return 1L << 20;
    }
}
