namespace ClipSharp.Imaging.Resampling;

/// <summary>
/// Nearest-neighbour scaling as Pillow's <c>ImagingScaleAffine</c> does it (used for every resize of
/// "P" and "1" images): with a = in / out per axis, the source coordinate starts at a·0.5 and is
/// advanced by adding a for each output pixel (a running double sum, not (i + 0.5)·a); the index is
/// trunc(coordinate). Positions that land outside the source are filled with zero bytes.
/// </summary>
internal static class NearestResampler
{
    /// <summary>
    /// Writes the output window [x0, x0 + w) × [y0, y0 + h) of scaling <paramref name="src"/> to
    /// <paramref name="outWidth"/> × <paramref name="outHeight"/> into <paramref name="dst"/> (packed, overwritten).
    /// </summary>
    public static void Scale(Span<byte> dst, ReadOnlySpan<byte> src, int srcWidth, int srcHeight, int bpp,
        int outWidth, int outHeight, int x0, int y0, int w, int h)
    {
        var xin = Positions(srcWidth, outWidth);
        var yin = Positions(srcHeight, outHeight);
        for (int j = 0; j < h; j++)
        {
            var outLine = dst.Slice(j * w * bpp, w * bpp);
            int sy = yin[y0 + j];
            if (sy < 0) { outLine.Clear(); continue; }
            var line = src.Slice(sy * srcWidth * bpp, srcWidth * bpp);
            for (int i = 0; i < w; i++)
            {
                int sx = xin[x0 + i];
                if (sx < 0) outLine.Slice(i * bpp, bpp).Clear();
                else line.Slice(sx * bpp, bpp).CopyTo(outLine.Slice(i * bpp, bpp));
            }
        }
    }

    /// <summary>Source index per output index, or −1 where the position falls outside the source.</summary>
    private static int[] Positions(int inSize, int outSize)
    {
        double a = (double)(float)inSize / outSize;
        double pos = a * 0.5;
        var result = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            int v = pos < 0.0 ? -1 : (int)pos;
            result[i] = v < inSize ? v : -1;
            pos += a;
        }
        return result;
    }
}
