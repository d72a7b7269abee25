using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Kernels;

// Letters: R rows (activations), I in-features (K), O out-features (N).

/// <summary>
/// A linear layer's weight W (O, I) quantised for int8 inference: per output channel o a symmetric
/// scale s_w[o] = max|W[o, :]| / L and q[o, i] = round(W[o, i] / s_w[o]) in [−L, L], L = <see cref="Levels"/>
/// (127, or 63 for the VPMADDUBSW kernel, whose int16 pair sums must not saturate), packed for the
/// micro-kernel (panels of 16 outputs; inside a panel, groups of 4 consecutive inputs per output, the
/// layout VPDPBUSD reads), plus Σ_i q[o, i] per output for the unsigned-activation correction.
/// </summary>
public sealed class Int8Weights
{
    internal const int PanelWidth = 16, Group = 4;

    internal readonly sbyte[] Packed;
    private short[]? packedPairs;
    internal readonly float[] Scales;
    internal readonly int[] ColumnSums;

    /// <summary>I, the reduction length, and I rounded up to a multiple of 4.</summary>
    public int InFeatures { get; }
    internal int PaddedIn { get; }

    /// <summary>O.</summary>
    public int OutFeatures { get; }

    /// <summary>L, the largest |q|: 127 (8 bits), or 63 (7 bits) where <see cref="Int8Linear.WeightLevels"/> asks for it.</summary>
    public int Levels { get; }
    internal int Panels => (OutFeatures + PanelWidth - 1) / PanelWidth;

    private Int8Weights(int inFeatures, int outFeatures, int levels)
    {
        (InFeatures, OutFeatures, Levels) = (inFeatures, outFeatures, levels);
        PaddedIn = (inFeatures + Group - 1) / Group * Group;
        Packed = GC.AllocateUninitializedArray<sbyte>(Panels * PanelWidth * PaddedIn, pinned: true);
        Scales = new float[outFeatures];
        ColumnSums = new int[outFeatures];
    }

    /// <summary>Quantises W (O, I), row-major as PyTorch stores nn.Linear weights, to [−levels, levels].</summary>
    public static Int8Weights Quantize(ReadOnlySpan<float> weight, int outFeatures, int inFeatures, int levels = 127)
    {
        if (weight.Length != outFeatures * inFeatures)
            throw new ArgumentException($"weight has {weight.Length} values, expected {outFeatures}×{inFeatures}");
        if (levels is < 1 or > 127) throw new ArgumentOutOfRangeException(nameof(levels), levels, "levels must be in [1, 127]");
        var result = new Int8Weights(inFeatures, outFeatures, levels);
        Array.Clear(result.Packed);
        for (int o = 0; o < outFeatures; o++)
        {
            var row = weight.Slice(o * inFeatures, inFeatures);
            float max = 0;
            foreach (var v in row) max = MathF.Max(max, MathF.Abs(v));
            float scale = max / levels, inverse = max > 0 ? levels / max : 0f;
            result.Scales[o] = scale;
            int panel = o / PanelWidth, lane = o % PanelWidth, sum = 0;
            for (int i = 0; i < inFeatures; i++)
            {
                int q = Math.Clamp((int)MathF.Round(row[i] * inverse), -levels, levels);
                sum += q;
                result.Packed[PackedIndex(result.PaddedIn, panel, lane, i)] = (sbyte)q;
            }
            result.ColumnSums[o] = sum;
        }
        return result;
    }

    /// <summary>
    /// The same weights widened to int16 for CPUs without VNNI (VPMADDWD multiplies pairs of int16): in a
    /// panel, pairs of consecutive inputs per output, q[o, i] at pair i/2, lane (o mod 16), element i mod 2.
    /// Built on first use, 2 bytes per weight.
    /// </summary>
    internal short[] PackedPairs
    {
        get
        {
            if (packedPairs is { } ready) return ready;
            var pairs = GC.AllocateUninitializedArray<short>(Packed.Length, pinned: true);
            for (int panel = 0; panel < Panels; panel++)
                for (int lane = 0; lane < PanelWidth; lane++)
                    for (int i = 0; i < PaddedIn; i++)
                        pairs[panel * PanelWidth * PaddedIn + (i / 2) * (PanelWidth * 2) + lane * 2 + i % 2] =
                            Packed[PackedIndex(PaddedIn, panel, lane, i)];
            return Interlocked.CompareExchange(ref packedPairs, pairs, null) ?? pairs;
        }
    }

    /// <summary>Where q[o, i] lives: panel p, group i/4, lane (o mod 16), byte i mod 4.</summary>
    internal static int PackedIndex(int paddedIn, int panel, int lane, int i) =>
        panel * PanelWidth * paddedIn + (i / Group) * (PanelWidth * Group) + lane * Group + i % Group;
}

/// <summary>
/// Dynamic int8 linear layers: y[r, o] = s_x[r]·s_w[o]·Σ_i q_x[r, i]·q_w[o, i] + bias[o], where each
/// activation row is quantised on the fly with its own symmetric scale s_x[r] = max|x[r, :]| / 127.
/// The product runs as unsigned × signed bytes (q_x + 128, VPDPBUSD's operand types) with the exact
/// correction −128·Σ_i q_w[o, i], so the int32 sums equal the signed products exactly on every path.
/// </summary>
public static unsafe class Int8Linear
{
    private const int TileRows = 6;         // micro-tile: 6 rows × 16 outputs (12 accumulators: VEX-encoded VNNI has 16 registers)
    private const int RowBlock = 96;        // rows per task (their bytes stay in L2 across panels)
    private const int PanelBlock = 8;       // panels per task
    private const int KBlock = 512;         // reduction depth per pass over a task's tiles

    /// <summary>
    /// y = (accumulate ? y : 0) + dequantised (x · Wᵀ) + bias, then <paramref name="epilogue"/> on each
    /// finished row segment. x (R, I) row-major; y (R, O) row-major; bias empty or O long.
    /// <paramref name="reference"/> forces the scalar path (tests compare the two bit for bit).
    /// </summary>
    public static void Forward(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, Int8Weights w, ReadOnlySpan<float> bias,
        int rows, bool accumulate = false, GemmRowEpilogue? epilogue = null, bool reference = false) =>
        Forward(ctx, y, x, w, bias, rows, accumulate, epilogue, reference ? Int8Kernel.Reference : Int8Kernel.Auto);

    /// <summary>
    /// The int32 product kernels, which all give the same sums: the scalar reference, VPDPBUSD (AVX-VNNI),
    /// VPMADDWD on int16 pairs (AVX2 CPUs without VNNI, e.g. AMD Zen 3), and VPMADDUBSW + VPMADDWD on the bytes
    /// themselves in 512-bit registers (AVX-512BW without AVX-VNNI, e.g. AMD Zen 4, whose AVX512-VNNI .NET 10 does not
    /// expose; for weights of at most 63 levels, where 2·255·63 = 32130 keeps VPMADDUBSW's saturating int16 pair sums
    /// exact). Auto takes the first this CPU, context and weights run. (VPMADDWD in 512-bit registers measured no faster
    /// than in 256-bit ones on Zen 4: both run at its multiply rate.)
    /// </summary>
    public enum Int8Kernel { Auto, Reference, Vnni, MultiplyAddPairs, MultiplyAddBytes }

    /// <summary>
    /// The weight levels (<see cref="Int8Weights.Levels"/>) that give the fastest kernel under <paramref name="isa"/> on
    /// this CPU: 63 where that is <see cref="Int8Kernel.MultiplyAddBytes"/> (AVX-512BW, no AVX-VNNI; about 1.45× the
    /// VPMADDWD kernels' multiply rate on Zen 4, for half the weight resolution), else 127.
    /// </summary>
    public static int WeightLevels(IsaLevel isa) => Pick(isa, BytesKernelLevels) == Int8Kernel.MultiplyAddBytes ? BytesKernelLevels : 127;

    private const int BytesKernelLevels = 63;

    /// <summary>
    /// The kernel <paramref name="requested"/> resolves to on this CPU and context for <paramref name="weights"/>
    /// (none: 127-level weights); throws if it cannot run.
    /// </summary>
    public static Int8Kernel Select(ComputeContext ctx, Int8Kernel requested, Int8Weights? weights = null) => requested switch
    {
        Int8Kernel.Auto => Pick(ctx.Isa, weights?.Levels ?? 127),
        Int8Kernel.Vnni when !AvxVnni.IsSupported => throw new PlatformNotSupportedException("this CPU has no AVX-VNNI"),
        Int8Kernel.MultiplyAddPairs when !Avx2.IsSupported => throw new PlatformNotSupportedException("this CPU has no AVX2"),
        Int8Kernel.MultiplyAddBytes when !Avx512BW.IsSupported => throw new PlatformNotSupportedException("this CPU has no AVX-512BW"),
        Int8Kernel.MultiplyAddBytes when !(weights?.Levels <= BytesKernelLevels) => throw new ArgumentException(
            $"VPMADDUBSW would saturate on weights of {weights?.Levels ?? 127} levels: quantise them with levels ≤ {BytesKernelLevels}"),
        _ => requested,
    };

    /// <summary>The first kernel this CPU runs under <paramref name="isa"/> for weights of <paramref name="levels"/> levels.</summary>
    private static Int8Kernel Pick(IsaLevel isa, int levels) =>
        AvxVnni.IsSupported && isa >= IsaLevel.Avx2 ? Int8Kernel.Vnni
        : Avx512BW.IsSupported && isa >= IsaLevel.Avx512 && levels <= BytesKernelLevels ? Int8Kernel.MultiplyAddBytes
        : Avx2.IsSupported && isa >= IsaLevel.Avx2 ? Int8Kernel.MultiplyAddPairs
        : Int8Kernel.Reference;

    /// <summary>As above, with the product kernel chosen by <paramref name="requested"/>.</summary>
    public static void Forward(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, Int8Weights w, ReadOnlySpan<float> bias,
        int rows, bool accumulate, GemmRowEpilogue? epilogue, Int8Kernel requested)
    {
        int k = w.InFeatures, n = w.OutFeatures, kp = w.PaddedIn;
        if (x.Length < (long)rows * k) throw new ArgumentException($"x holds {x.Length} values, expected {rows}×{k}");
        if (y.Length < (long)rows * n) throw new ArgumentException($"y holds {y.Length} values, expected {rows}×{n}");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} values, expected {n}");
        if (rows == 0) return;
        // Rows are padded to whole micro-tiles with zero activations (byte 128), so every tile runs the fast kernel.
        int paddedRows = (rows + TileRows - 1) / TileRows * TileRows;
        // Pooled: this runs once per linear layer per batch, and fresh arrays of megabytes cost page faults.
        var kernel = Select(ctx, requested, w);
        var quantized = ArrayPool<byte>.Shared.Rent(paddedRows * kp);
        var scales = ArrayPool<float>.Shared.Rent(rows);
        short[]? widened = null;
        try
        {
            quantized.AsSpan(rows * kp, (paddedRows - rows) * kp).Fill(128);
            QuantizeRows(ctx, x, rows, k, kp, quantized, scales, vectorised: kernel != Int8Kernel.Reference);
            if (kernel == Int8Kernel.MultiplyAddPairs)
            {
                widened = ArrayPool<short>.Shared.Rent(paddedRows * kp);
                Widen(quantized.AsSpan(0, paddedRows * kp), widened);
            }

            int rowBlocks = (rows + RowBlock - 1) / RowBlock, panelBlocks = (w.Panels + PanelBlock - 1) / PanelBlock;
            fixed (float* py = y, pbias = bias)
            fixed (byte* pa = quantized)
            fixed (short* pa16 = widened)
            fixed (sbyte* pb = w.Packed)
            fixed (short* pb16 = kernel == Int8Kernel.MultiplyAddPairs ? w.PackedPairs : null)
            fixed (float* pscales = w.Scales)
            fixed (int* psums = w.ColumnSums)
            {
                var job = new Job
                {
                    Y = py, A = pa, A16 = pa16, B = pb, B16 = pb16, Bias = pbias, HasBias = !bias.IsEmpty, RowCount = rows, N = n, Kp = kp,
                    ColumnScales = pscales, ColumnSums = psums,
                    RowScales = scales, Weights = w, Accumulate = accumulate, Epilogue = epilogue, Kernel = kernel,
                };
                ctx.For(rowBlocks * panelBlocks, t => job.Tile(t / panelBlocks, t % panelBlocks));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(quantized);
            ArrayPool<float>.Shared.Return(scales);
            if (widened is not null) ArrayPool<short>.Shared.Return(widened);
        }
    }

    /// <summary>Activation bytes (q + 128, in [1, 255]) to int16, the operand type of VPMADDWD.</summary>
    private static void Widen(ReadOnlySpan<byte> bytes, Span<short> shorts)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 32 <= bytes.Length; i += 32)
            {
                var (low, high) = Vector256.Widen(Vector256.Create(bytes.Slice(i, 32)));
                low.AsInt16().CopyTo(shorts.Slice(i, 16));
                high.AsInt16().CopyTo(shorts.Slice(i + 16, 16));
            }
        for (; i < bytes.Length; i++) shorts[i] = bytes[i];
    }

    /// <summary>Per row: s = max|x| / 127, a = round(x · 127 / max) + 128 in [1, 255]; padding bytes are 128 (zero).</summary>
    internal static void QuantizeRows(ComputeContext ctx, ReadOnlySpan<float> x, int rows, int k, int kp, byte[] a, float[] scales, bool vectorised = true)
    {
        fixed (float* px = x)
        {
            var source = px;
            int chunks = Math.Min(rows, ctx.Threads * 4), per = (rows + chunks - 1) / chunks;
            ctx.For(chunks, chunk =>
            {
                for (int r = chunk * per; r < Math.Min(rows, (chunk + 1) * per); r++)
                {
                    var row = new ReadOnlySpan<float>(source + (long)r * k, k);
                    float max = MathF.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitudeNumber(row));
                    float inverse = max > 0 ? 127f / max : 0f;
                    scales[r] = max / 127f;
                    var dst = a.AsSpan(r * kp, kp);
                    int i = 0;
                    if (vectorised && Avx512F.IsSupported && ctx.Isa >= IsaLevel.Avx512)
                    {
                        // VCVTPS2DQ rounds to nearest even like MathF.Round; VPMOVDB keeps the low byte of
                        // values already in [1, 255].
                        var inv = Vector512.Create(inverse);
                        float* start = source + (long)r * k;
                        for (; i + 16 <= k; i += 16)
                        {
                            var q = Avx512F.ConvertToVector512Int32(Vector512.Load(start + i) * inv) + Vector512.Create(128);
                            Avx512F.ConvertToVector128Byte(q).StoreUnsafe(ref MemoryMarshal.GetReference(dst), (nuint)i);
                        }
                    }
                    else if (vectorised && Vector256.IsHardwareAccelerated)
                    {
                        var inv = Vector256.Create(inverse);
                        float* start = source + (long)r * k;
                        Vector256<int> Quantize(int at) =>
                            Vector256.ConvertToInt32(Vector256.Round(Vector256.Load(start + at) * inv)) + Vector256.Create(128);
                        for (; i + 32 <= k; i += 32)
                        {
                            var low = Vector256.Narrow(Quantize(i), Quantize(i + 8)).AsUInt16();
                            var high = Vector256.Narrow(Quantize(i + 16), Quantize(i + 24)).AsUInt16();
                            Vector256.Narrow(low, high).StoreUnsafe(ref MemoryMarshal.GetReference(dst), (nuint)i);
                        }
                    }
                    for (; i < k; i++) dst[i] = (byte)((int)MathF.Round(row[i] * inverse) + 128);
                    dst[k..].Fill(128);
                }
            });
        }
    }

    private sealed class Job
    {
        public float* Y;
        public byte* A;
        public short* A16, B16;
        public sbyte* B;
        public float* Bias;
        public float* ColumnScales;
        public int* ColumnSums;
        public bool HasBias, Accumulate;
        public Int8Kernel Kernel;
        public int RowCount, N, Kp;
        public float[] RowScales = [];
        public Int8Weights Weights = null!;
        public GemmRowEpilogue? Epilogue;

        public void Tile(int rowBlock, int panelBlock)
        {
            int r0 = rowBlock * RowBlock, r1 = Math.Min(RowCount, r0 + RowBlock);
            int p0 = panelBlock * PanelBlock, p1 = Math.Min(Weights.Panels, p0 + PanelBlock);
            int j0 = p0 * Int8Weights.PanelWidth, j1 = Math.Min(N, p1 * Int8Weights.PanelWidth);
            int tiles = (r1 - r0 + TileRows - 1) / TileRows, panels = p1 - p0;
            const int TileInts = TileRows * Int8Weights.PanelWidth;
            var sums = ArrayPool<int>.Shared.Rent(tiles * panels * TileInts);
            try
            {
                fixed (int* acc = sums)
                {
                    // K in blocks of at most KBlock: a micro-tile's rows (≤ 6 KiB) stay in L1 while it sweeps
                    // the block's panels (≤ 8 × 16 KiB, in L2); the int32 sums carry over between K blocks.
                    int blocks = (Kp + KBlock - 1) / KBlock, depth = (Kp / Int8Weights.Group + blocks - 1) / blocks * Int8Weights.Group;
                    for (int k0 = 0; k0 < Kp; k0 += depth)
                    {
                        int kc = Math.Min(depth, Kp - k0);
                        bool add = k0 > 0;
                        for (int t = 0; t < tiles; t++)
                        {
                            long row = (long)(r0 + t * TileRows) * Kp + k0;
                            int count = Math.Min(TileRows, r1 - r0 - t * TileRows);
                            for (int p = p0; p < p1; p++)
                            {
                                // The k-th group of either layout starts k·16 elements into its panel.
                                long panel = (long)p * Int8Weights.PanelWidth * Kp + (long)k0 * Int8Weights.PanelWidth;
                                int* tile = acc + (t * panels + p - p0) * TileInts;
                                // Padded rows: the fast kernels always run a whole tile. Four panels' tiles lie one
                                // after another, so the zmm kernel fills them in one sweep; the rest go one by one.
                                if (Kernel == Int8Kernel.MultiplyAddBytes && p + 4 <= p1)
                                {
                                    MicroMultiplyAddBytes512(A + row, kc, Kp, B + panel, (nint)Int8Weights.PanelWidth * Kp, tile, add);
                                    p += 3;
                                }
                                else if (Kernel == Int8Kernel.MultiplyAddBytes) MicroMultiplyAddBytes(A + row, kc, Kp, B + panel, tile, add);
                                else if (Kernel == Int8Kernel.Vnni) MicroVnni(A + row, kc, Kp, B + panel, tile, add);
                                else if (Kernel == Int8Kernel.MultiplyAddPairs) MicroMultiplyAddPairs(A16 + row, kc, Kp, B16 + panel, tile, add);
                                else MicroReference(A + row, kc, Kp, B + panel, tile, count, add);
                            }
                        }
                    }
                    // The epilogue sees each row's whole block segment at once.
                    for (int t = 0; t < tiles; t++)
                    {
                        int r = r0 + t * TileRows, count = Math.Min(TileRows, r1 - r);
                        for (int p = p0; p < p1; p++) Store(acc + (t * panels + p - p0) * TileInts, r, count, p);
                        if (Epilogue is { } epilogue)
                            for (int i = 0; i < count; i++)
                                epilogue(new Span<float>(Y + (long)(r + i) * N + j0, j1 - j0), r + i, j0);
                    }
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(sums);
            }
        }

        /// <summary>y = s_x·s_w·(acc − 128·Σq_w) (+ y) + bias for one micro-tile.</summary>
        private void Store(int* acc, int r, int count, int panel)
        {
            int j0 = panel * Int8Weights.PanelWidth, width = Math.Min(Int8Weights.PanelWidth, N - j0);
            for (int i = 0; i < count; i++)
            {
                float sx = RowScales[r + i];
                float* row = Y + (long)(r + i) * N + j0;
                int j = 0;
                if (Vector256.IsHardwareAccelerated && width == Int8Weights.PanelWidth)
                {
                    // The same operations, in the same order, as the scalar loop below.
                    for (; j < Int8Weights.PanelWidth; j += 8)
                    {
                        var total = Vector256.Load(acc + i * Int8Weights.PanelWidth + j) - Vector256.Load(ColumnSums + j0 + j) * 128;
                        var v = Vector256.ConvertToSingle(total) * (Vector256.Create(sx) * Vector256.Load(ColumnScales + j0 + j));
                        if (Accumulate) v = Vector256.Load(row + j) + v;
                        if (HasBias) v += Vector256.Load(Bias + j0 + j);
                        v.Store(row + j);
                    }
                }
                for (; j < width; j++)
                {
                    float v = (float)(acc[i * Int8Weights.PanelWidth + j] - 128 * ColumnSums[j0 + j]) * (sx * ColumnScales[j0 + j]);
                    if (Accumulate) v = row[j] + v;
                    if (HasBias) v += Bias[j0 + j];
                    row[j] = v;
                }
            }
        }
    }

    /// <summary>The scalar reference: acc[i, j] (+)= Σ_k a[i, k]·q[j, k] over kc inputs of the packed panel.</summary>
    private static void MicroReference(byte* a, int kc, nint stride, sbyte* panel, int* acc, int count, bool add)
    {
        for (int i = 0; i < count; i++)
            for (int j = 0; j < Int8Weights.PanelWidth; j++)
            {
                int sum = add ? acc[i * Int8Weights.PanelWidth + j] : 0;
                for (int g = 0; g < kc / Int8Weights.Group; g++)
                    for (int b = 0; b < Int8Weights.Group; b++)
                        sum += a[i * stride + g * Int8Weights.Group + b] * panel[g * Int8Weights.PanelWidth * Int8Weights.Group + j * Int8Weights.Group + b];
                acc[i * Int8Weights.PanelWidth + j] = sum;
            }
    }

    /// <summary>6 rows × 16 outputs with VPDPBUSD (two 8-lane int32 accumulators per row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroVnni(byte* a, int kc, nint s, sbyte* panel, int* acc, bool add)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (add)
        {
            c00 = Vector256.Load(acc); c01 = Vector256.Load(acc + 8); c10 = Vector256.Load(acc + 16); c11 = Vector256.Load(acc + 24);
            c20 = Vector256.Load(acc + 32); c21 = Vector256.Load(acc + 40); c30 = Vector256.Load(acc + 48); c31 = Vector256.Load(acc + 56);
            c40 = Vector256.Load(acc + 64); c41 = Vector256.Load(acc + 72); c50 = Vector256.Load(acc + 80); c51 = Vector256.Load(acc + 88);
        }
        sbyte* b = panel;
        // Two row pointers and one stride: rows 0–2 at p0, p0 + s, p0 + 2s and rows 3–5 at p3, p3 + s, p3 + 2s
        // (base + index·scale addressing, no per-row address arithmetic in the loop).
        byte* p0 = a, p3 = a + 3 * s, end = a + kc;
        for (; p0 < end; p0 += Int8Weights.Group, p3 += Int8Weights.Group, b += Int8Weights.PanelWidth * Int8Weights.Group)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 32);
            var x = Vector256.Create(*(int*)p0).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, b0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, b1);
            x = Vector256.Create(*(int*)(p0 + s)).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, b0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, b1);
            x = Vector256.Create(*(int*)(p0 + 2 * s)).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, b0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, b1);
            x = Vector256.Create(*(int*)p3).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, b0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, b1);
            x = Vector256.Create(*(int*)(p3 + s)).AsByte();
            c40 = AvxVnni.MultiplyWideningAndAdd(c40, x, b0);
            c41 = AvxVnni.MultiplyWideningAndAdd(c41, x, b1);
            x = Vector256.Create(*(int*)(p3 + 2 * s)).AsByte();
            c50 = AvxVnni.MultiplyWideningAndAdd(c50, x, b0);
            c51 = AvxVnni.MultiplyWideningAndAdd(c51, x, b1);
        }
        c00.Store(acc); c01.Store(acc + 8); c10.Store(acc + 16); c11.Store(acc + 24);
        c20.Store(acc + 32); c21.Store(acc + 40); c30.Store(acc + 48); c31.Store(acc + 56);
        c40.Store(acc + 64); c41.Store(acc + 72); c50.Store(acc + 80); c51.Store(acc + 88);
    }

    /// <summary>
    /// 6 rows × 16 outputs with VPMADDWD (AVX2 without VNNI): each step multiplies one pair of int16
    /// activations by 16 outputs' pairs of int16 weights and adds the pair sums into int32. Products of
    /// [1, 255] by [−127, 127] fit int16 operands and the sums stay exact, so the result equals VNNI's.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroMultiplyAddPairs(short* a, int kc, nint s, short* panel, int* acc, bool add)
    {
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        if (add)
        {
            c00 = Vector256.Load(acc); c01 = Vector256.Load(acc + 8); c10 = Vector256.Load(acc + 16); c11 = Vector256.Load(acc + 24);
            c20 = Vector256.Load(acc + 32); c21 = Vector256.Load(acc + 40); c30 = Vector256.Load(acc + 48); c31 = Vector256.Load(acc + 56);
            c40 = Vector256.Load(acc + 64); c41 = Vector256.Load(acc + 72); c50 = Vector256.Load(acc + 80); c51 = Vector256.Load(acc + 88);
        }
        short* b = panel;
        short* p0 = a, p3 = a + 3 * s, end = a + kc;
        for (; p0 < end; p0 += 2, p3 += 2, b += Int8Weights.PanelWidth * 2)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 16);
            var x = Vector256.Create(*(int*)p0).AsInt16();
            c00 = Avx2.Add(c00, Avx2.MultiplyAddAdjacent(x, b0));
            c01 = Avx2.Add(c01, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(*(int*)(p0 + s)).AsInt16();
            c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(x, b0));
            c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(*(int*)(p0 + 2 * s)).AsInt16();
            c20 = Avx2.Add(c20, Avx2.MultiplyAddAdjacent(x, b0));
            c21 = Avx2.Add(c21, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(*(int*)p3).AsInt16();
            c30 = Avx2.Add(c30, Avx2.MultiplyAddAdjacent(x, b0));
            c31 = Avx2.Add(c31, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(*(int*)(p3 + s)).AsInt16();
            c40 = Avx2.Add(c40, Avx2.MultiplyAddAdjacent(x, b0));
            c41 = Avx2.Add(c41, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(*(int*)(p3 + 2 * s)).AsInt16();
            c50 = Avx2.Add(c50, Avx2.MultiplyAddAdjacent(x, b0));
            c51 = Avx2.Add(c51, Avx2.MultiplyAddAdjacent(x, b1));
        }
        c00.Store(acc); c01.Store(acc + 8); c10.Store(acc + 16); c11.Store(acc + 24);
        c20.Store(acc + 32); c21.Store(acc + 40); c30.Store(acc + 48); c31.Store(acc + 56);
        c40.Store(acc + 64); c41.Store(acc + 72); c50.Store(acc + 80); c51.Store(acc + 88);
    }

    /// <summary>
    /// VNNI's step without VNNI: for each output, the four products of its four weight bytes with four activation
    /// bytes, summed pairwise to int16 by VPMADDUBSW and the pairs to int32 by VPMADDWD with ones. Exact while each
    /// pair sum fits int16: |q| ≤ 63 gives at most 2·255·63 = 32130.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Dot4(Vector512<byte> activations, Vector512<sbyte> weights) =>
        Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(activations, weights), Vector512<short>.One);

    /// <summary>
    /// <see cref="MicroVnni"/>'s sums from <see cref="Dot4"/> (AVX-512BW), four consecutive panels at once:
    /// 6 rows × 64 outputs, 24 zmm accumulators, one 64-byte weight vector per panel (a group of four inputs for
    /// its 16 outputs, the packed layout as it is) and one broadcast of four activation bytes per row and step.
    /// The four tiles are written at acc + q·96 (q the panel), as four calls of the one-panel kernel would.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroMultiplyAddBytes512(byte* a, int kc, nint s, sbyte* panel, nint panelStride, int* acc, bool add)
    {
        Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default,
            c10 = default, c11 = default, c12 = default, c13 = default,
            c20 = default, c21 = default, c22 = default, c23 = default,
            c30 = default, c31 = default, c32 = default, c33 = default,
            c40 = default, c41 = default, c42 = default, c43 = default,
            c50 = default, c51 = default, c52 = default, c53 = default;
        if (add)
        {
            c00 = Vector512.Load(acc + 0); c01 = Vector512.Load(acc + 96); c02 = Vector512.Load(acc + 192); c03 = Vector512.Load(acc + 288);
            c10 = Vector512.Load(acc + 16); c11 = Vector512.Load(acc + 112); c12 = Vector512.Load(acc + 208); c13 = Vector512.Load(acc + 304);
            c20 = Vector512.Load(acc + 32); c21 = Vector512.Load(acc + 128); c22 = Vector512.Load(acc + 224); c23 = Vector512.Load(acc + 320);
            c30 = Vector512.Load(acc + 48); c31 = Vector512.Load(acc + 144); c32 = Vector512.Load(acc + 240); c33 = Vector512.Load(acc + 336);
            c40 = Vector512.Load(acc + 64); c41 = Vector512.Load(acc + 160); c42 = Vector512.Load(acc + 256); c43 = Vector512.Load(acc + 352);
            c50 = Vector512.Load(acc + 80); c51 = Vector512.Load(acc + 176); c52 = Vector512.Load(acc + 272); c53 = Vector512.Load(acc + 368);
        }
        sbyte* b = panel, b2 = panel + 2 * panelStride;
        byte* p0 = a, p3 = a + 3 * s, end = a + kc;
        for (; p0 < end; p0 += Int8Weights.Group, p3 += Int8Weights.Group, b += Int8Weights.PanelWidth * Int8Weights.Group, b2 += Int8Weights.PanelWidth * Int8Weights.Group)
        {
            Vector512<sbyte> w0 = Vector512.Load(b), w1 = Vector512.Load(b + panelStride), w2 = Vector512.Load(b2), w3 = Vector512.Load(b2 + panelStride);
            Vector512<byte> x;
            x = Vector512.Create(*(int*)p0).AsByte();
            c00 += Dot4(x, w0); c01 += Dot4(x, w1); c02 += Dot4(x, w2); c03 += Dot4(x, w3);
            x = Vector512.Create(*(int*)(p0 + s)).AsByte();
            c10 += Dot4(x, w0); c11 += Dot4(x, w1); c12 += Dot4(x, w2); c13 += Dot4(x, w3);
            x = Vector512.Create(*(int*)(p0 + 2 * s)).AsByte();
            c20 += Dot4(x, w0); c21 += Dot4(x, w1); c22 += Dot4(x, w2); c23 += Dot4(x, w3);
            x = Vector512.Create(*(int*)p3).AsByte();
            c30 += Dot4(x, w0); c31 += Dot4(x, w1); c32 += Dot4(x, w2); c33 += Dot4(x, w3);
            x = Vector512.Create(*(int*)(p3 + s)).AsByte();
            c40 += Dot4(x, w0); c41 += Dot4(x, w1); c42 += Dot4(x, w2); c43 += Dot4(x, w3);
            x = Vector512.Create(*(int*)(p3 + 2 * s)).AsByte();
            c50 += Dot4(x, w0); c51 += Dot4(x, w1); c52 += Dot4(x, w2); c53 += Dot4(x, w3);
        }
        c00.Store(acc + 0); c01.Store(acc + 96); c02.Store(acc + 192); c03.Store(acc + 288);
        c10.Store(acc + 16); c11.Store(acc + 112); c12.Store(acc + 208); c13.Store(acc + 304);
        c20.Store(acc + 32); c21.Store(acc + 128); c22.Store(acc + 224); c23.Store(acc + 320);
        c30.Store(acc + 48); c31.Store(acc + 144); c32.Store(acc + 240); c33.Store(acc + 336);
        c40.Store(acc + 64); c41.Store(acc + 160); c42.Store(acc + 256); c43.Store(acc + 352);
        c50.Store(acc + 80); c51.Store(acc + 176); c52.Store(acc + 272); c53.Store(acc + 368);
    }

    /// <summary><see cref="MicroMultiplyAddBytes512"/> for one panel (the panels of a block left over after groups of four).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MicroMultiplyAddBytes(byte* a, int kc, nint s, sbyte* panel, int* acc, bool add)
    {
        Vector512<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        if (add)
        {
            c0 = Vector512.Load(acc + 0); c1 = Vector512.Load(acc + 16); c2 = Vector512.Load(acc + 32); c3 = Vector512.Load(acc + 48); c4 = Vector512.Load(acc + 64); c5 = Vector512.Load(acc + 80);
        }
        sbyte* b = panel;
        byte* p0 = a, p3 = a + 3 * s, end = a + kc;
        for (; p0 < end; p0 += Int8Weights.Group, p3 += Int8Weights.Group, b += Int8Weights.PanelWidth * Int8Weights.Group)
        {
            var w = Vector512.Load(b);
            c0 += Dot4(Vector512.Create(*(int*)p0).AsByte(), w);
            c1 += Dot4(Vector512.Create(*(int*)(p0 + s)).AsByte(), w);
            c2 += Dot4(Vector512.Create(*(int*)(p0 + 2 * s)).AsByte(), w);
            c3 += Dot4(Vector512.Create(*(int*)p3).AsByte(), w);
            c4 += Dot4(Vector512.Create(*(int*)(p3 + s)).AsByte(), w);
            c5 += Dot4(Vector512.Create(*(int*)(p3 + 2 * s)).AsByte(), w);
        }
        c0.Store(acc + 0); c1.Store(acc + 16); c2.Store(acc + 32); c3.Store(acc + 48); c4.Store(acc + 64); c5.Store(acc + 80);
    }
}
