using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Kernels;

/// <summary>Everything one blocked GEMM run needs, as raw pointers (valid for the whole run).</summary>
internal unsafe struct GemmJob
{
    public float* C;
    public nint Ldc;
    public float* A;
    public nint Lda;
    public bool TransA;
    /// <summary>B packed as described by <see cref="GemmLayout.PanelOffset"/>.</summary>
    public float* PackedB;
    public float* Bias;
    /// <summary>Applied to each finished row segment after the bias, or null.</summary>
    public GemmRowEpilogue? Epilogue;
    public int M, N, K;
    public bool Accumulate;
    /// <summary>
    /// Most rows in a task (a multiple of Mr), columns per task (a multiple of the panel width), row
    /// blocks, and Mr-row tiles in all (dealt out evenly over the row blocks).
    /// </summary>
    public int Mc, Nc, TasksM, TilesM;
    /// <summary>The K range [PStart, PEnd) of the current phase, and the depth of a phase (a multiple of Kc).</summary>
    public int PStart, PEnd, Phase;
    /// <summary>
    /// When not null: the whole of A for the current phase, packed once (its K blocks one after another,
    /// Mc rows each) for every task to read, instead of each column task packing the same rows again.
    /// </summary>
    public float* SharedA;
    /// <summary>When <see cref="ImplicitRows.X"/> is set, A is the im2col matrix of that convolution input (A and Lda unused).</summary>
    public ImplicitRows Rows;
}

/// <summary>
/// BLIS-style blocked GEMM driver for one micro-kernel. K is cut into phases of
/// <see cref="GemmLayout.PhaseDepth"/> (all tasks finish one phase before the next starts, so a
/// phase's packed B stays cache-resident while every row block uses it; with a single row block the
/// whole K is one phase). Within a phase the output
/// is split into independent tasks of Mc rows x Nc columns; each task walks its K range in blocks of
/// <see cref="GemmLayout.Kc"/>, packs its
/// Mc x Kc slice of A into L2-sized scratch, and sweeps the B panels (each Kc x 32, L1-sized) over
/// the A panels. Every output is summed in the same order whatever the task split or thread count.
/// </summary>
internal static unsafe class GemmDriver<TKernel> where TKernel : struct, IMicroKernel
{
    /// <summary>Runs the job, splitting tasks over <paramref name="ctx"/>'s threads.</summary>
    public static void Run(ComputeContext ctx, GemmJob job)
    {
        int mr = TKernel.Mr;
        int threads = SmallProblem(job) ? 1 : ctx.Threads;
        // Rows: blocks of about McTarget whole Mr tiles, as many blocks as a multiple of the thread count
        // when there are several, and the tiles dealt out evenly (blocks differ by at most one tile) so
        // no thread is left with a short last block while the other works.
        int tilesM = (job.M + mr - 1) / mr;
        int tasksM = Math.Max(1, (job.M + GemmLayout.McTarget - 1) / GemmLayout.McTarget);
        if (threads > 1 && tasksM > 1) tasksM = Math.Min(tilesM, (tasksM + threads - 1) / threads * threads);
        job.Mc = (tilesM + tasksM - 1) / tasksM * mr;
        job.TilesM = tilesM;
        // Columns: at most NcMax per task so the task's C block stays in L2 beside its packed A;
        // narrower (down to 4 panels) when there are too few tasks to keep the threads busy.
        int panels = GemmLayout.PaddedColumns(job.N) / GemmLayout.PanelWidth;
        int panelsPerTask = Math.Min(panels, GemmLayout.NcMax / GemmLayout.PanelWidth);
        while (threads > 1 && panelsPerTask > 4 && tasksM * ((panels + panelsPerTask - 1) / panelsPerTask) < 4 * threads)
            panelsPerTask = (panelsPerTask + 1) / 2;
        job.Nc = panelsPerTask * GemmLayout.PanelWidth;
        job.TasksM = tasksM;
        int tasks = tasksM * ((panels + panelsPerTask - 1) / panelsPerTask);
        // One row block split into several column tasks (small M: one image's 50 tokens, a short prompt):
        // each task would pack the same A rows, which at M = 50 costs 5-10% of the multiply.
        bool share = tasksM == 1 && tasks > 1 && !MayReadAInPlace(in job);
        // Phases keep a K range of packed B in cache while several row blocks use it; with one row block each panel
        // is used by one task only, so the whole K is one phase (no barriers, and each task streams its panels through).
        job.Phase = tasksM == 1 ? (job.K + GemmLayout.Kc - 1) / GemmLayout.Kc * GemmLayout.Kc : GemmLayout.PhaseDepth;
        if (share) job.SharedA = GemmBuffer.ForSharedA((long)job.Mc * GemmLayout.ARowStride * (job.Phase / GemmLayout.Kc)).Pointer;
        if (threads == 1 || tasks == 1)
        {
            for (job.PStart = 0; job.PStart < job.K; job.PStart = job.PEnd)
            {
                job.PEnd = Math.Min(job.K, job.PStart + job.Phase);
                if (share) PackSharedA(in job);
                for (int t = 0; t < tasks; t++) RunTask(in job, t);
            }
        }
        else
        {
            RunParallel(ctx, job, tasks);
        }
    }

    /// <summary>A tile of 1 to Mr − 1 rows, full width, from A rows <paramref name="s"/> floats apart.</summary>
    private static void RunRows(int rows, int kc, float* a, nint s, float* b, float* c, nint ldc, bool add)
    {
        if (typeof(TKernel) == typeof(Avx512Kernel)) RowTiles.Run<Avx512Kernel>(rows, kc, a, s, b, c, ldc, add);
        else RowTiles.Run<Avx2Kernel>(rows, kc, a, s, b, c, ldc, add);
    }

    /// <summary>
    /// Whether this is the AVX-512 or AVX2 kernel: its ISA level allows AVX in the packing routines, it has tiles of
    /// fewer rows (<see cref="IRowTileKernel"/>), and it can read row-major A in place.
    /// </summary>
    private static bool UsesAvx => typeof(TKernel) == typeof(Avx512Kernel) || typeof(TKernel) == typeof(Avx2Kernel);

    /// <summary>Under ~2 MFLOP the thread hand-off costs more than it saves.</summary>
    private static bool SmallProblem(in GemmJob job) => (long)job.M * job.N * job.K < (1L << 20);

    private static void RunParallel(ComputeContext ctx, GemmJob job, int tasks)
    {
        // One closure for all phases: it reads the captured job, whose K range advances below.
        Action<int> body = t => RunTask(in job, t);
        for (job.PStart = 0; job.PStart < job.K; job.PStart = job.PEnd)
        {
            job.PEnd = Math.Min(job.K, job.PStart + job.Phase);
            if (job.SharedA != null) PackSharedA(in job);
            ctx.For(tasks, body);
        }
    }

    /// <summary>Packs all M rows of the current phase's K blocks into <see cref="GemmJob.SharedA"/>.</summary>
    private static void PackSharedA(in GemmJob job)
    {
        for (int p0 = job.PStart; p0 < job.PEnd; p0 += GemmLayout.Kc)
            PackA(in job, SharedBlock(in job, p0), 0, job.M, p0, Math.Min(GemmLayout.Kc, job.K - p0));
    }

    /// <summary>Packs rows [i0, i0 + mc) and depth [p0, p0 + kc) of A, a matrix or a convolution's implicit im2col rows.</summary>
    private static void PackA(in GemmJob job, float* dst, int i0, int mc, int p0, int kc)
    {
        if (job.Rows.X != null) GemmPacking.PackImplicitA(dst, in job.Rows, i0, mc, p0, kc, TKernel.Mr);
        else GemmPacking.PackA(dst, job.A, job.Lda, job.TransA, i0, mc, p0, kc, TKernel.Mr, UsesAvx);
    }

    private static float* SharedBlock(in GemmJob job, int p0) =>
        job.SharedA + (long)(p0 - job.PStart) / GemmLayout.Kc * job.Mc * GemmLayout.ARowStride;

    /// <summary>
    /// Whether tasks of this job whose rows are whole tiles read A in place (nothing is packed to share then): an
    /// AVX-512 or AVX2 kernel, a row-major A, and a row stride that is not a multiple of 2 KiB (which would pile a
    /// tile's rows into one or two L1 sets).
    /// </summary>
    private static bool MayReadAInPlace(in GemmJob job) => job.Rows.X == null &&
        UsesAvx && !job.TransA && (job.Lda * sizeof(float)) % 2048 != 0;

    private static void RunTask(in GemmJob job, int task)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        const int W = GemmLayout.PanelWidth;
        // Consecutive tasks share a column block, so its packed B panels are reused from cache.
        int block = task % job.TasksM;
        int i0 = (int)((long)block * job.TilesM / job.TasksM) * mr;
        int mc = Math.Min((int)((long)(block + 1) * job.TilesM / job.TasksM) * mr, job.M) - i0;
        int j0 = task / job.TasksM * job.Nc;
        int jEnd = Math.Min(j0 + job.Nc, job.N);
        int paddedN = GemmLayout.PaddedColumns(job.N);

        long aFloats = (long)job.Mc * GemmLayout.ARowStride;
        var scratch = GemmBuffer.ForPackedA(aFloats + 16 * 64);
        float* packedA = scratch.Pointer;
        float* edge = packedA + aFloats; // one Mr x Nr tile (at most 16 x 64) for partial tiles
        // Whole tiles of a row-major A whose rows fall in different L1 sets are read where they are.
        bool inPlace = ReadsAInPlace(in job, j0, jEnd);
        bool prefetchPanels = GemmLayout.PrefetchNextPanel ?? typeof(TKernel) != typeof(Avx512Kernel);

        for (int p0 = job.PStart; p0 < job.PEnd; p0 += GemmLayout.Kc)
        {
            int kc = Math.Min(GemmLayout.Kc, job.K - p0);
            bool add = job.Accumulate || p0 > 0;
            if (job.SharedA != null) packedA = SharedBlock(in job, p0);
            else if (!inPlace) PackA(in job, packedA, i0, mc, p0, kc);
            for (int jp = j0; jp < jEnd; jp += W)
            {
                float* panel = job.PackedB + GemmLayout.PanelOffset(p0, kc, jp, paddedN);
                // The next panel is asked for a slice per tile, spread over this panel's tiles (not all at once, which
                // would flood the miss queue and the L1). At M = 50 a panel serves nine row tiles and every panel comes
                // from memory; without this the first tile on each panel waits for it (5-10% of a batch-1 multiply on Zen 1;
                // on Zen 4 the hardware does better alone: GemmLayout.PrefetchNextPanel).
                float* fetchEnd = null;
                float* fetch = prefetchPanels ? NextPanel(in job, p0, kc, jp, j0, jEnd, paddedN, out fetchEnd) : null;
                int tileCalls = (W / nr) * ((mc + mr - 1) / mr);
                nint slice = (nint)(((fetchEnd - fetch) / 16 + tileCalls - 1) / tileCalls * 16);
                for (int js = 0; js < W && jp + js < jEnd; js += nr)
                {
                    int cols = Math.Min(nr, jEnd - jp - js);
                    float* b = panel + js;
                    for (int ir = 0; ir < mc; ir += mr)
                    {
                        int rows = Math.Min(mr, mc - ir);
                        if (Sse.IsSupported)
                            for (float* stop = fetch + slice < fetchEnd ? fetch + slice : fetchEnd; fetch < stop; fetch += 16) Sse.Prefetch1(fetch);
                        float* c = job.C + (i0 + ir) * job.Ldc + jp + js;
                        if (inPlace)
                        {
                            float* rowA = job.A + (i0 + ir) * job.Lda + p0;
                            if (rows < mr) RunRows(rows, kc, rowA, job.Lda, b, c, job.Ldc, add);
                            else if (typeof(TKernel) == typeof(Avx512Kernel)) Avx512Kernel.RunStrided(kc, rowA, job.Lda, b, c, job.Ldc, add);
                            else Avx2Kernel.RunStrided(kc, rowA, job.Lda, b, c, job.Ldc, add);
                            continue;
                        }
                        float* a = packedA + (nint)ir * GemmLayout.ARowStride;
                        if (rows == mr && cols == nr)
                        {
                            TKernel.Run(kc, a, b, c, job.Ldc, add);
                        }
                        else if (UsesAvx && cols == nr)
                        {
                            RunRows(rows, kc, a, GemmLayout.ARowStride, b, c, job.Ldc, add);
                        }
                        else
                        {
                            TKernel.Run(kc, a, b, edge, nr, false);
                            MergeEdge(c, job.Ldc, edge, nr, rows, cols, add);
                        }
                    }
                }
            }
        }

        Finish(in job, i0, mc, j0, jEnd);
    }

    /// <summary>
    /// The packed-B panel this task multiplies after (<paramref name="p0"/>, <paramref name="jp"/>): the next column panel,
    /// else the first of the next K block; null after the last. <paramref name="end"/> is one past its last float.
    /// </summary>
    private static float* NextPanel(in GemmJob job, int p0, int kc, int jp, int j0, int jEnd, int paddedN, out float* end)
    {
        float* next;
        int rows;
        if (jp + GemmLayout.PanelWidth < jEnd)
        {
            rows = kc;
            next = job.PackedB + GemmLayout.PanelOffset(p0, kc, jp + GemmLayout.PanelWidth, paddedN);
        }
        else if (p0 + kc < job.PEnd)
        {
            rows = Math.Min(GemmLayout.Kc, job.K - p0 - kc);
            next = job.PackedB + GemmLayout.PanelOffset(p0 + kc, rows, j0, paddedN);
        }
        else
        {
            end = null;
            return null;
        }
        end = next + (long)rows * GemmLayout.PanelWidth;
        return next;
    }

    /// <summary>
    /// Whether the AVX-512 or AVX2 kernel can read this task's A rows where they are (<see cref="Avx512Kernel.RunStrided"/>,
    /// <see cref="Avx2Kernel.RunStrided"/>, a short last row tile by <see cref="RunRows"/>): A not transposed, only
    /// full-width tiles, and a row stride the rows of a tile do not pile into too few L1 sets with (<see cref="MayReadAInPlace"/>).
    /// </summary>
    private static bool ReadsAInPlace(in GemmJob job, int j0, int jEnd) =>
        MayReadAInPlace(in job) && (jEnd - j0) % TKernel.Nr == 0;

    /// <summary>After the last phase: bias, then the epilogue, on each finished row segment.</summary>
    private static void Finish(in GemmJob job, int i0, int mc, int j0, int jEnd)
    {
        if (job.PEnd != job.K || (job.Bias == null && job.Epilogue == null)) return;
        for (int i = i0; i < i0 + mc; i++)
        {
            var row = new Span<float>(job.C + i * job.Ldc + j0, jEnd - j0);
            if (job.Bias != null)
                System.Numerics.Tensors.TensorPrimitives.Add(row, new ReadOnlySpan<float>(job.Bias + j0, jEnd - j0), row);
            job.Epilogue?.Invoke(row, i, j0);
        }
    }

    /// <summary>C[r, j] = add ? C[r, j] + T[r, j] : T[r, j] for the valid part of a partial tile.</summary>
    private static void MergeEdge(float* c, nint ldc, float* tile, int ldt, int rows, int cols, bool add)
    {
        if (typeof(TKernel) == typeof(Avx512Kernel))
        {
            MergeEdgeAvx512(c, ldc, tile, ldt, rows, cols, add);
            return;
        }
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc;
            float* tr = tile + r * ldt;
            if (add) for (int j = 0; j < cols; j++) cr[j] = cr[j] + tr[j];
            else for (int j = 0; j < cols; j++) cr[j] = tr[j];
        }
    }

    /// <summary><see cref="MergeEdge"/> for tiles up to 32 wide with masked AVX-512 loads and stores (same sums).</summary>
    private static void MergeEdgeAvx512(float* c, nint ldc, float* tile, int ldt, int rows, int cols, bool add)
    {
        var lane = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var m0 = Vector512.LessThan(lane, Vector512.Create(cols)).AsSingle();
        var m1 = Vector512.LessThan(lane + Vector512.Create(16), Vector512.Create(cols)).AsSingle();
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc;
            float* tr = tile + r * ldt;
            Vector512<float> v0 = Vector512.Load(tr), v1 = Vector512.Load(tr + 16);
            if (add)
            {
                v0 = Avx512F.MaskLoad(cr, m0, Vector512<float>.Zero) + v0;
                v1 = Avx512F.MaskLoad(cr + 16, m1, Vector512<float>.Zero) + v1;
            }
            Avx512F.MaskStore(cr, m0, v0);
            Avx512F.MaskStore(cr + 16, m1, v1);
        }
    }
}
