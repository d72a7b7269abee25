using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// A 2-D convolution over channels-last input (B, H, W, C) seen as a GEMM: each of the B·P·Q output positions
/// is a row whose <see cref="Depth"/> = KH·KW·C entries are its receptive field in (kernel row, kernel column,
/// channel) order, zero where the window leaves the image (the rows <see cref="Convolution.Im2ColNhwc"/> writes).
/// </summary>
public readonly record struct ConvolutionShape(int Batch, int Height, int Width, int Channels, int KernelH, int KernelW, int Stride, int Padding)
{
    public int OutHeight => Convolution.OutputSize(Height, KernelH, Stride, Padding);
    public int OutWidth => Convolution.OutputSize(Width, KernelW, Stride, Padding);

    /// <summary>Rows of the GEMM: B·P·Q output positions.</summary>
    public int Rows => Batch * OutHeight * OutWidth;

    /// <summary>Depth of the GEMM: KH·KW·C.</summary>
    public int Depth => KernelH * KernelW * Channels;

    internal void Validate()
    {
        if (Batch < 0 || Height <= 0 || Width <= 0 || Channels <= 0 || KernelH <= 0 || KernelW <= 0 || Stride <= 0 || Padding < 0)
            throw new ArgumentException($"bad convolution shape {this}");
        if (OutHeight <= 0 || OutWidth <= 0) throw new ArgumentException($"convolution shape {this} has no output positions");
    }
}

/// <summary>Where a convolution GEMM reads its A rows from (raw pointer form of <see cref="ConvolutionShape"/>).</summary>
internal unsafe struct ImplicitRows
{
    /// <summary>The (B, H, W, C) input, or null when A is an ordinary matrix.</summary>
    public float* X;
    public int Height, Width, Channels, KernelW, Stride, Padding, OutHeight, OutWidth;
}

public static unsafe partial class Gemm
{
    /// <summary>
    /// y = im2col(x) · B (+ bias, then <paramref name="epilogue"/> on each finished row segment) for a convolution
    /// over channels-last <paramref name="x"/>, without building the im2col matrix: each task gathers the receptive
    /// fields of its rows straight into its packed A block. <paramref name="b"/> is the (KH·KW·C) x O weight packed by
    /// <see cref="PackB"/>; <paramref name="y"/> is (B·P·Q) x O, row-major. The same values reach the micro-kernels as
    /// from <see cref="Convolution.Im2ColNhwc"/> followed by the packed <c>Multiply</c>, in the same order, so the
    /// results are bit-identical to that pair.
    /// </summary>
    public static void MultiplyConvolution(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, ConvolutionShape shape,
        PackedMatrix b, ReadOnlySpan<float> bias = default, GemmRowEpilogue? epilogue = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(b);
        shape.Validate();
        int m = shape.Rows, n = b.Columns;
        if (b.Rows != shape.Depth) throw new ArgumentException($"packed weight has depth {b.Rows}, the convolution {shape.Depth} (KH·KW·C)");
        if ((long)shape.Batch * shape.Height * shape.Width * shape.Channels > x.Length)
            throw new ArgumentException($"input has {x.Length} floats, fewer than (B, H, W, C) = {shape.Batch}×{shape.Height}×{shape.Width}×{shape.Channels}");
        if ((long)m * n > y.Length) throw new ArgumentException($"output has {y.Length} floats, expected {m}×{n}");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} floats, expected {n} (output channels)");
        if (m == 0 || n == 0) return;
        fixed (float* py = y, px = x, pbias = bias)
        {
            var job = new GemmJob
            {
                C = py, Ldc = n, PackedB = b.Data, Bias = bias.IsEmpty ? null : pbias, Epilogue = epilogue,
                M = m, N = n, K = b.Rows,
                Rows = new ImplicitRows
                {
                    X = px, Height = shape.Height, Width = shape.Width, Channels = shape.Channels, KernelW = shape.KernelW,
                    Stride = shape.Stride, Padding = shape.Padding, OutHeight = shape.OutHeight, OutWidth = shape.OutWidth,
                },
            };
            Run(ctx, job);
            GC.KeepAlive(b);
        }
    }
}

internal static unsafe partial class GemmPacking
{
    /// <summary>
    /// <see cref="PackA"/> for a convolution's implicit A: rows [i0, i0 + mc) and depth [p0, p0 + kc) of the im2col
    /// matrix of <paramref name="g"/>, gathered from its input. Within one kernel row the KW·C entries of a row are
    /// consecutive floats of the input (KW neighbouring pixels), so a row's depth range is a few such runs, one per
    /// kernel row it touches, which are the same for every row; only windows crossing the image border go tap by tap.
    /// </summary>
    public static void PackImplicitA(float* dst, in ImplicitRows g, int i0, int mc, int p0, int kc, int mr)
    {
        const int S = GemmLayout.ARowStride;
        int rowsPadded = (mc + mr - 1) / mr * mr;
        int c = g.Channels, span = g.KernelW * c, plane = g.OutHeight * g.OutWidth;
        // The runs of [p0, p0 + kc): kernel row, first and one-past-last offset within that kernel row's KW·C.
        int firstRow = p0 / span, lastRow = (p0 + kc - 1) / span, runs = lastRow - firstRow + 1;
        Span<int> runStart = stackalloc int[runs], runEnd = stackalloc int[runs];
        Span<int> firstColumn = stackalloc int[runs], lastColumn = stackalloc int[runs];
        for (int j = 0; j < runs; j++)
        {
            runStart[j] = j == 0 ? p0 - firstRow * span : 0;
            runEnd[j] = j == runs - 1 ? p0 + kc - lastRow * span : span;
            firstColumn[j] = runStart[j] / c;
            lastColumn[j] = (runEnd[j] - 1) / c;
        }
        int image = i0 / plane, p = i0 % plane / g.OutWidth, q = i0 % g.OutWidth;
        for (int r = 0; r < mc; r++)
        {
            float* d = dst + (nint)r * S;
            float* pixels = g.X + (nint)image * g.Height * g.Width * c;
            int top = p * g.Stride - g.Padding, left = q * g.Stride - g.Padding;
            for (int j = 0; j < runs; j++)
            {
                int iy = top + firstRow + j, length = runEnd[j] - runStart[j];
                if ((uint)iy >= (uint)g.Height)
                    new Span<float>(d, length).Clear();
                else if (left + firstColumn[j] >= 0 && left + lastColumn[j] < g.Width)
                    Copy(d, pixels + ((nint)iy * g.Width + left) * c + runStart[j], length);
                else
                    GatherBorder(d, pixels + (nint)iy * g.Width * c, left, g.Width, c, runStart[j], runEnd[j]);
                d += length;
            }
            if (++q == g.OutWidth)
            {
                q = 0;
                if (++p == g.OutHeight) { p = 0; image++; }
            }
        }
        for (int r = mc; r < rowsPadded; r++) new Span<float>(dst + (nint)r * S, kc).Clear();
    }

    /// <summary>Offsets [start, end) of one kernel row whose window crosses the left or right image border: tap by tap.</summary>
    private static void GatherBorder(float* d, float* inputRow, int left, int width, int c, int start, int end)
    {
        for (int o = start; o < end;)
        {
            int tap = o / c, channel = o - tap * c, run = Math.Min(c - channel, end - o), ix = left + tap;
            if ((uint)ix >= (uint)width) new Span<float>(d, run).Clear();
            else Copy(d, inputRow + (nint)ix * c + channel, run);
            d += run;
            o += run;
        }
    }

    /// <summary>n floats from s to d (not overlapping); short ones (a few pixels of a few channels) without a call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* d, float* s, int n)
    {
        if (n >= 64)
        {
            new ReadOnlySpan<float>(s, n).CopyTo(new Span<float>(d, n));
        }
        else if (n >= 4)
        {
            int i = 0;
            for (; i + 4 <= n; i += 4) Vector128.Store(Vector128.Load(s + i), d + i);
            // The last few: one more 4-float move ending at n, overlapping what was just written.
            if (i < n) Vector128.Store(Vector128.Load(s + n - 4), d + n - 4);
        }
        else
        {
            for (int i = 0; i < n; i++) d[i] = s[i];
        }
    }
}
