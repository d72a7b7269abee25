namespace ClipSharp.Models.Siglip;

// Letters: G learned grid side, h × w target grid, C width.

/// <summary>
/// Resizes a (G, G, C) learned position grid to (h, w, C) as PyTorch's
/// F.interpolate(mode="bilinear", align_corners=False, antialias=True) does: separable, width first,
/// each output a normalised triangle-filter average whose support widens by the scale when shrinking.
/// </summary>
public static class PositionGrid
{
    /// <summary>positions (G·G, C) row-major over (row, column) → (h·w, C), overwriting <paramref name="output"/>.</summary>
    public static void Resize(Span<float> output, ReadOnlySpan<float> positions, int grid, int height, int width, int channels)
    {
        if (positions.Length != grid * grid * channels) throw new ArgumentException($"position table has {positions.Length} values, expected {grid}² × {channels}");
        if (output.Length < height * width * channels) throw new ArgumentException("position output buffer too small");
        var (wStart, wCount, wWeights) = Weights(grid, width);
        var (hStart, hCount, hWeights) = Weights(grid, height);
        int kw = wWeights.Length / width, kh = hWeights.Length / height;
        var rows = new float[grid * width * channels];   // (G, w, C) after the horizontal pass
        for (int r = 0; r < grid; r++)
            for (int x = 0; x < width; x++)
            {
                var dst = rows.AsSpan((r * width + x) * channels, channels);
                dst.Clear();
                for (int j = 0; j < wCount[x]; j++)
                {
                    float wt = wWeights[x * kw + j];
                    var src = positions.Slice((r * grid + wStart[x] + j) * channels, channels);
                    for (int c = 0; c < channels; c++) dst[c] += wt * src[c];
                }
            }
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var dst = output.Slice((y * width + x) * channels, channels);
                dst.Clear();
                for (int j = 0; j < hCount[y]; j++)
                {
                    float wt = hWeights[y * kh + j];
                    var src = rows.AsSpan(((hStart[y] + j) * width + x) * channels, channels);
                    for (int c = 0; c < channels; c++) dst[c] += wt * src[c];
                }
            }
    }

    /// <summary>
    /// Per output index i: the first input index, how many inputs, and their normalised weights
    /// (PyTorch's _compute_indices_weights_aa with the bilinear filter 1 − |x|).
    /// </summary>
    public static (int[] Start, int[] Count, float[] Weights) Weights(int inSize, int outSize)
    {
        double scale = (double)inSize / outSize;
        double support = scale >= 1 ? scale : 1.0;
        double invScale = scale >= 1 ? 1.0 / scale : 1.0;
        int kernel = (int)Math.Ceiling(support) * 2 + 1;
        var start = new int[outSize];
        var count = new int[outSize];
        var weights = new float[outSize * kernel];
        for (int i = 0; i < outSize; i++)
        {
            double center = scale * (i + 0.5);
            int xmin = Math.Max((int)(center - support + 0.5), 0);
            int xsize = Math.Min((int)(center + support + 0.5), inSize) - xmin;
            double total = 0;
            var w = new double[xsize];
            for (int j = 0; j < xsize; j++)
            {
                double d = Math.Abs((j + xmin - center + 0.5) * invScale);
                w[j] = d < 1 ? 1 - d : 0;
                total += w[j];
            }
            for (int j = 0; j < xsize; j++) weights[i * kernel + j] = (float)(total != 0 ? w[j] / total : 0);
            (start[i], count[i]) = (xmin, xsize);
        }
        return (start, count, weights);
    }
}
