namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Moving between feature maps and token sequences. Letters: B batch, C channels, S = H·W spatial
/// positions, T tokens, L leading tokens placed before the map's S tokens (T = L + S).
/// </summary>
public static class Tokens
{
    /// <summary>
    /// y[b, L + s, c] = map[b, c, s] for a (B, C, S) map and a (B, L + S, C) sequence, overwriting
    /// those rows; the L leading rows of each sequence are left untouched.
    /// </summary>
    public static void FromMap(Span<float> y, ReadOnlySpan<float> map, int batch, int channels, int spatial, int leading)
    {
        int t = leading + spatial;
        for (int b = 0; b < batch; b++)
        for (int c = 0; c < channels; c++)
        {
            var plane = map.Slice((b * channels + c) * spatial, spatial);
            for (int s = 0; s < spatial; s++) y[(b * t + leading + s) * channels + c] = plane[s];
        }
    }

    /// <summary>Backward of <see cref="FromMap"/>: dmap[b, c, s] += dy[b, L + s, c] (accumulates).</summary>
    public static void FromMapBackward(Span<float> dmap, ReadOnlySpan<float> dy, int batch, int channels, int spatial, int leading)
    {
        int t = leading + spatial;
        for (int b = 0; b < batch; b++)
        for (int c = 0; c < channels; c++)
        {
            var plane = dmap.Slice((b * channels + c) * spatial, spatial);
            for (int s = 0; s < spatial; s++) plane[s] += dy[(b * t + leading + s) * channels + c];
        }
    }

    /// <summary>y[b, :] = x[b, positions[b], :] for x (B, T, C) and y (B, C), overwriting y.</summary>
    public static void Gather(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<int> positions, int tokens, int channels)
    {
        for (int b = 0; b < positions.Length; b++)
        {
            int at = positions[b];
            if ((uint)at >= (uint)tokens) throw new ArgumentOutOfRangeException(nameof(positions), $"position {at} for row {b} is outside [0, {tokens})");
            x.Slice((b * tokens + at) * channels, channels).CopyTo(y.Slice(b * channels, channels));
        }
    }

    /// <summary>Backward of <see cref="Gather"/>: dx[b, positions[b], :] += dy[b, :] (accumulates).</summary>
    public static void GatherBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<int> positions, int tokens, int channels)
    {
        for (int b = 0; b < positions.Length; b++)
        {
            var dst = dx.Slice((b * tokens + positions[b]) * channels, channels);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, dy.Slice(b * channels, channels), dst);
        }
    }
}
