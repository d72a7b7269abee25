namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Brings one component's samples up to the output resolution, row by row, choosing the method exactly as
/// libjpeg-turbo's jinit_upsampler does with its defaults (fancy upsampling on):
/// <list type="bullet">
/// <item>same size → the plane row itself;</item>
/// <item>2:1 horizontal → triangle filter out = (3·near + far + {1,2}) >> 2 (replication when the row has ≤ 2 samples or fancy is off);</item>
/// <item>2:1 vertical (fancy only) → out = (3·near + far + {1,2}) >> 2 with the row above/below;</item>
/// <item>2:1 both ways → separable triangle, out = (3·colsum_near + colsum_far + {8,7}) >> 4 where colsum = 3·near row + far row (replication when ≤ 2 samples wide or fancy is off);</item>
/// <item>any other integral ratio → replication.</item>
/// </list>
/// Fancy upsampling is off for 1/8 scaling (libjpeg has no context rows then). Neighbours beyond the
/// component's meaningful samples repeat the edge sample, as libjpeg's edge cases and padded context rows do.
/// </summary>
internal sealed class Upsampler
{
    private enum Method { Fullsize, H2V1Fancy, H2V1, H1V2Fancy, H2V2Fancy, H2V2, Integral }

    private readonly JpegComponent _c;
    private readonly Method _method;
    private readonly int _hExpand, _vExpand;
    private readonly byte[] _row;
    private readonly int[] _colSum;

    /// <exception cref="NotSupportedException">The sampling factors are not integral multiples of each other.</exception>
    public Upsampler(JpegFrame frame, JpegComponent c)
    {
        _c = c;
        int min = frame.MinScaledBlockSize;
        int hIn = c.H * c.ScaledBlockSize / min, vIn = c.V * c.ScaledBlockSize / min;
        int hOut = frame.MaxH, vOut = frame.MaxV;
        bool fancy = min > 1;
        if (hIn == hOut && vIn == vOut) _method = Method.Fullsize;
        else if (hIn * 2 == hOut && vIn == vOut) _method = fancy && c.DownsampledWidth > 2 ? Method.H2V1Fancy : Method.H2V1;
        else if (hIn == hOut && vIn * 2 == vOut && fancy) _method = Method.H1V2Fancy;
        else if (hIn * 2 == hOut && vIn * 2 == vOut) _method = fancy && c.DownsampledWidth > 2 ? Method.H2V2Fancy : Method.H2V2;
        else if (hOut % hIn == 0 && vOut % vIn == 0) _method = Method.Integral;
        else
            throw new NotSupportedException(
                $"JPEG: component {c.Id} with sampling factors {c.H}x{c.V} against a maximum of {frame.MaxH}x{frame.MaxV} " +
                "needs fractional upsampling, which libjpeg does not implement either");
        _hExpand = hOut / hIn;
        _vExpand = vOut / vIn;
        _row = new byte[c.DownsampledWidth * _hExpand];
        _colSum = _method == Method.H2V2Fancy ? new int[c.DownsampledWidth] : [];
    }

    /// <summary>Returns output row <paramref name="y"/> of this component (at least the output width long).</summary>
    public ReadOnlySpan<byte> Row(int y)
    {
        var c = _c;
        int stride = c.PlaneStride;
        int w = c.DownsampledWidth;
        int lastRow = c.DownsampledHeight - 1;
        switch (_method)
        {
            case Method.Fullsize:
                return c.Plane.AsSpan(y * stride, stride);
            case Method.H2V1Fancy:
                H2V1Fancy(c.Plane.AsSpan(y * stride, w), _row);
                return _row;
            case Method.H2V1:
                Replicate(c.Plane.AsSpan(y * stride, w), _row, 2);
                return _row;
            case Method.H1V2Fancy:
            {
                int r = y >> 1;
                int far = (y & 1) == 0 ? Math.Max(r - 1, 0) : Math.Min(r + 1, lastRow);
                int bias = (y & 1) == 0 ? 1 : 2;
                var near = c.Plane.AsSpan(r * stride, w);
                var other = c.Plane.AsSpan(far * stride, w);
                for (int x = 0; x < w; x++)
                    _row[x] = (byte)((near[x] * 3 + other[x] + bias) >> 2);
                return _row;
            }
            case Method.H2V2Fancy:
            {
                int r = y >> 1;
                int far = (y & 1) == 0 ? Math.Max(r - 1, 0) : Math.Min(r + 1, lastRow);
                H2V2Fancy(c.Plane.AsSpan(r * stride, w), c.Plane.AsSpan(far * stride, w), _colSum, _row);
                return _row;
            }
            case Method.H2V2:
                Replicate(c.Plane.AsSpan((y >> 1) * stride, w), _row, 2);
                return _row;
            default:
                Replicate(c.Plane.AsSpan(y / _vExpand * stride, w), _row, _hExpand);
                return _row;
        }
    }

    /// <summary>output[2i] = (3·in[i] + in[i-1] + 1) >> 2, output[2i+1] = (3·in[i] + in[i+1] + 2) >> 2, edges repeated. Needs ≥ 2 inputs.</summary>
    public static void H2V1Fancy(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int w = input.Length;
        _ = output[2 * w - 1];
        output[0] = input[0];
        output[1] = (byte)((input[0] * 3 + input[1] + 2) >> 2);
        for (int i = 1; i < w - 1; i++)
        {
            int v = input[i] * 3;
            output[2 * i] = (byte)((v + input[i - 1] + 1) >> 2);
            output[2 * i + 1] = (byte)((v + input[i + 1] + 2) >> 2);
        }
        output[2 * w - 2] = (byte)((input[w - 1] * 3 + input[w - 2] + 1) >> 2);
        output[2 * w - 1] = input[w - 1];
    }

    /// <summary>
    /// colSum[i] = 3·near[i] + far[i]; output[2i] = (3·colSum[i] + colSum[i-1] + 8) >> 4,
    /// output[2i+1] = (3·colSum[i] + colSum[i+1] + 7) >> 4, edge columns repeated. Needs ≥ 2 inputs.
    /// </summary>
    public static void H2V2Fancy(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<int> colSum, Span<byte> output)
    {
        int w = near.Length;
        _ = far[w - 1];
        _ = colSum[w - 1];
        _ = output[2 * w - 1];
        for (int i = 0; i < w; i++) colSum[i] = near[i] * 3 + far[i];
        output[0] = (byte)((colSum[0] * 4 + 8) >> 4);
        output[1] = (byte)((colSum[0] * 3 + colSum[1] + 7) >> 4);
        for (int i = 1; i < w - 1; i++)
        {
            int v = colSum[i] * 3;
            output[2 * i] = (byte)((v + colSum[i - 1] + 8) >> 4);
            output[2 * i + 1] = (byte)((v + colSum[i + 1] + 7) >> 4);
        }
        output[2 * w - 2] = (byte)((colSum[w - 1] * 3 + colSum[w - 2] + 8) >> 4);
        output[2 * w - 1] = (byte)((colSum[w - 1] * 4 + 7) >> 4);
    }

    /// <summary>output[i] = input[i / factor].</summary>
    public static void Replicate(ReadOnlySpan<byte> input, Span<byte> output, int factor)
    {
        int o = 0;
        foreach (byte v in input)
        {
            output.Slice(o, factor).Fill(v);
            o += factor;
        }
    }
}
