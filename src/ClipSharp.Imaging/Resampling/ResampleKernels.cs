using System.Runtime.InteropServices;

namespace ClipSharp.Imaging.Resampling;

/// <summary>
/// One-axis convolution passes of Pillow's Resample.c over interleaved pixels. The 8-bit passes use the
/// fixed-point weights: out = clip8((2^21 + Σ in·w) >> 22) with clip8 clamping to 0..255; the "I" passes
/// use double weights: out = ROUND_UP(Σ in·w), i.e. trunc(s + 0.5) for s ≥ 0 and trunc(s − 0.5) otherwise.
/// Sums run over the window in increasing input index, as Pillow's loops do, so results are bit-exact.
/// </summary>
internal static class ResampleKernels
{
    private const int Half = 1 << (ResampleCoefficients.PrecisionBits - 1);

    private static byte Clip8(int ss)
    {
        int v = ss >> ResampleCoefficients.PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    /// <summary>
    /// Horizontal 8-bit pass. Overwrites <paramref name="dst"/> (rows × <paramref name="outCount"/> pixels of
    /// <paramref name="channels"/> bytes, packed): dst[r, j, ch] = clip8(2^21 + Σ_t src[rowStart + r, Start[o] + t, ch] · W[o, t])
    /// with o = <paramref name="outStart"/> + j. <paramref name="src"/> is packed rows of <paramref name="srcWidth"/> pixels.
    /// </summary>
    public static void Horizontal8(Span<byte> dst, ReadOnlySpan<byte> src, int srcWidth, int channels,
        int rowStart, int rows, ResampleCoefficients c, int outStart, int outCount)
    {
        int ks = c.KernelSize;
        int srcStride = srcWidth * channels, dstStride = outCount * channels;
        var weights = c.FixedWeights;
        for (int r = 0; r < rows; r++)
        {
            var line = src.Slice((rowStart + r) * srcStride, srcStride);
            var outLine = dst.Slice(r * dstStride, dstStride);
            for (int j = 0; j < outCount; j++)
            {
                int o = outStart + j, start = c.Start[o], n = c.Count[o];
                var w = weights.AsSpan(o * ks, n);
                var px = line.Slice(start * channels, n * channels);
                switch (channels)
                {
                    case 1:
                    {
                        int s0 = Half;
                        for (int t = 0; t < n; t++) s0 += px[t] * w[t];
                        outLine[j] = Clip8(s0);
                        break;
                    }
                    case 3:
                    {
                        int s0 = Half, s1 = Half, s2 = Half;
                        for (int t = 0; t < n; t++)
                        {
                            int wt = w[t];
                            s0 += px[t * 3] * wt; s1 += px[t * 3 + 1] * wt; s2 += px[t * 3 + 2] * wt;
                        }
                        outLine[j * 3] = Clip8(s0); outLine[j * 3 + 1] = Clip8(s1); outLine[j * 3 + 2] = Clip8(s2);
                        break;
                    }
                    default:
                        for (int ch = 0; ch < channels; ch++)
                        {
                            int s = Half;
                            for (int t = 0; t < n; t++) s += px[t * channels + ch] * w[t];
                            outLine[j * channels + ch] = Clip8(s);
                        }
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Vertical 8-bit pass over rows of <paramref name="rowBytes"/> bytes. Overwrites <paramref name="dst"/>
    /// (outCount rows, packed): dst[j, i] = clip8(2^21 + Σ_t src[Start[o] − <paramref name="srcRowBase"/> + t, i] · W[o, t])
    /// with o = <paramref name="outStart"/> + j; source row q starts at q·<paramref name="srcStride"/> + <paramref name="srcOffset"/>.
    /// </summary>
    public static void Vertical8(Span<byte> dst, ReadOnlySpan<byte> src, int srcStride, int srcOffset, int rowBytes,
        int srcRowBase, ResampleCoefficients c, int outStart, int outCount)
    {
        int ks = c.KernelSize;
        var acc = new int[rowBytes];
        for (int j = 0; j < outCount; j++)
        {
            int o = outStart + j, start = c.Start[o] - srcRowBase, n = c.Count[o];
            var w = c.FixedWeights.AsSpan(o * ks, n);
            acc.AsSpan().Fill(Half);
            for (int t = 0; t < n; t++)
            {
                int wt = w[t];
                var line = src.Slice((start + t) * srcStride + srcOffset, rowBytes);
                for (int i = 0; i < rowBytes; i++) acc[i] += line[i] * wt;
            }
            var outLine = dst.Slice(j * rowBytes, rowBytes);
            for (int i = 0; i < rowBytes; i++) outLine[i] = Clip8(acc[i]);
        }
    }

    private static int RoundUp(double s)
    {
        double r = s >= 0.0 ? s + 0.5 : s - 0.5;
        return r >= int.MaxValue ? int.MaxValue : r <= int.MinValue ? int.MinValue : (int)r;
    }

    /// <summary>Horizontal pass for "I" (int32) pixels: dst[r, j] = ROUND_UP(Σ_t src[rowStart + r, Start[o] + t] · w[o, t]).</summary>
    public static void HorizontalInt(Span<byte> dst, ReadOnlySpan<byte> src, int srcWidth,
        int rowStart, int rows, ResampleCoefficients c, int outStart, int outCount)
    {
        var s32 = MemoryMarshal.Cast<byte, int>(src);
        var d32 = MemoryMarshal.Cast<byte, int>(dst);
        int ks = c.KernelSize;
        for (int r = 0; r < rows; r++)
        {
            var line = s32.Slice((rowStart + r) * srcWidth, srcWidth);
            for (int j = 0; j < outCount; j++)
            {
                int o = outStart + j, start = c.Start[o], n = c.Count[o];
                var w = c.Weights.AsSpan(o * ks, n);
                double ss = 0.0;
                for (int t = 0; t < n; t++) ss += line[start + t] * w[t];
                d32[r * outCount + j] = RoundUp(ss);
            }
        }
    }

    /// <summary>
    /// Vertical pass for "I" pixels: dst[j, x] = ROUND_UP(Σ_t src[Start[o] − srcRowBase + t, srcColumn + x] · w[o, t])
    /// over <paramref name="width"/> columns; source rows hold <paramref name="srcWidth"/> ints.
    /// </summary>
    public static void VerticalInt(Span<byte> dst, ReadOnlySpan<byte> src, int srcWidth, int srcColumn, int width,
        int srcRowBase, ResampleCoefficients c, int outStart, int outCount)
    {
        var s32 = MemoryMarshal.Cast<byte, int>(src);
        var d32 = MemoryMarshal.Cast<byte, int>(dst);
        int ks = c.KernelSize;
        for (int j = 0; j < outCount; j++)
        {
            int o = outStart + j, start = c.Start[o] - srcRowBase, n = c.Count[o];
            var w = c.Weights.AsSpan(o * ks, n);
            for (int x = 0; x < width; x++)
            {
                double ss = 0.0;
                for (int t = 0; t < n; t++) ss += s32[(start + t) * srcWidth + srcColumn + x] * w[t];
                d32[j * width + x] = RoundUp(ss);
            }
        }
    }
}
