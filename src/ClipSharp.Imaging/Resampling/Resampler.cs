using System.Runtime.InteropServices;
using ClipSharp.Imaging.Conversion;

namespace ClipSharp.Imaging.Resampling;

/// <summary>
/// Pillow 9.4's <c>Image.resize(size, filter)</c>, bit for bit. The rules it follows:
/// <list type="bullet">
/// <item>same size → an unchanged copy;</item>
/// <item>"P" and "1" always use nearest neighbour (<see cref="NearestResampler"/>);</item>
/// <item>"LA" and "RGBA" are premultiplied by alpha ("La"/"RGBa"), resampled, and un-premultiplied;</item>
/// <item>8-bit modes (L, LA, RGB, RGBA, CMYK) run a horizontal pass (only if the width changes) into an
/// 8-bit intermediate covering just the source rows the vertical windows touch, then a vertical pass
/// (only if the height changes), both in 22-bit fixed point;</item>
/// <item>"I" runs the same two passes in double precision with round-half-away-from-zero.</item>
/// </list>
/// "I;16" cannot be resized with a filter by Pillow 9.4 ("image has wrong mode"); here it is widened to
/// "I" first and the result is an "I" frame. Every output pixel depends only on its own windows, so a
/// sub-rectangle of the output (<see cref="ResizeRegion"/>) equals cropping the full result.
/// </summary>
public static class Resampler
{
    /// <summary>The whole resized image.</summary>
    public static ImageFrame Resize(ImageFrame source, int width, int height, ResampleFilter filter) =>
        ResizeRegion(source, width, height, filter, 0, 0, width, height);

    /// <summary>
    /// The window [x, x + w) × [y, y + h) of <c>Resize(source, width, height, filter)</c>, computing only
    /// the pixels inside it. The window must lie inside the output.
    /// </summary>
    public static ImageFrame ResizeRegion(ImageFrame source, int width, int height, ResampleFilter filter,
        int x, int y, int w, int h)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} is not positive");
        if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height)
            throw new ArgumentOutOfRangeException(nameof(x), $"window {w}x{h} at ({x},{y}) is not inside the {width}x{height} output");

        int bpp = source.BytesPerPixel;
        if (width == source.Width && height == source.Height)
            return Derived(source, source.Mode, w, h, Crop(source.Pixels, source.Width, bpp, x, y, w, h));

        if (source.Mode is PixelMode.P or PixelMode.Bilevel || filter == ResampleFilter.Nearest)
        {
            var outPx = new byte[(long)w * h * bpp];
            NearestResampler.Scale(outPx, source.Pixels, source.Width, source.Height, bpp, width, height, x, y, w, h);
            return Derived(source, source.Mode, w, h, outPx);
        }

        switch (source.Mode)
        {
            case PixelMode.LA or PixelMode.Rgba:
            {
                // Premultiplied as the passes read the source (a band of rows, or the window's columns), never
                // as a copy of the whole image: a large RGBA photo costs its own pixels and little more.
                var result = Convolve(source.Pixels, source.Width, source.Height, bpp, wide: false, width, height, filter, x, y, w, h, premultiplied: true);
                AlphaPremultiplier.Unpremultiply(result, bpp);
                return Derived(source, source.Mode, w, h, result);
            }
            case PixelMode.I16:
            {
                var u16 = MemoryMarshal.Cast<byte, ushort>(source.Pixels);
                var wide = new byte[u16.Length * 4];
                var i32 = MemoryMarshal.Cast<byte, int>(wide.AsSpan());
                for (int i = 0; i < u16.Length; i++) i32[i] = u16[i];
                var result = Convolve(wide, source.Width, source.Height, 4, wide: true, width, height, filter, x, y, w, h);
                return Derived(source, PixelMode.I32, w, h, result);
            }
            case PixelMode.I32:
                return Derived(source, PixelMode.I32, w, h,
                    Convolve(source.Pixels, source.Width, source.Height, 4, wide: true, width, height, filter, x, y, w, h));
            default:
                return Derived(source, source.Mode, w, h,
                    Convolve(source.Pixels, source.Width, source.Height, bpp, wide: false, width, height, filter, x, y, w, h));
        }
    }

    /// <summary>
    /// Pillow's two-pass <c>ImagingResampleInner</c> restricted to an output window. <paramref name="wide"/>
    /// selects the "I" (int32, double weights) kernels instead of the 8-bit fixed-point ones;
    /// <paramref name="premultiplied"/> convolves the alpha-premultiplied source (8-bit pixels whose last byte
    /// is alpha) without modifying <paramref name="src"/>.
    /// </summary>
    private static byte[] Convolve(byte[] src, int srcW, int srcH, int bpp, bool wide, int outW, int outH,
        ResampleFilter filter, int x, int y, int w, int h, bool premultiplied = false)
    {
        bool needH = outW != srcW, needV = outH != srcH;
        var vert = new ResampleCoefficients(srcH, 0f, srcH, outH, filter);
        var result = new byte[(long)w * h * bpp];

        if (!needH)
        {
            // Vertical pass straight from the source columns [x, x + w).
            if (wide) ResampleKernels.VerticalInt(result, src, srcW, x, w, 0, vert, y, h);
            else if (!premultiplied) ResampleKernels.Vertical8(result, src, srcW * bpp, x * bpp, w * bpp, 0, vert, y, h);
            else
            {
                var (top, bottom) = RowsRead(vert, y, h);
                var columns = PremultipliedWindow(src, srcW, bpp, x, w, top, bottom);
                ResampleKernels.Vertical8(result, columns, w * bpp, 0, w * bpp, top, vert, y, h);
            }
            return result;
        }

        var horiz = new ResampleCoefficients(srcW, 0f, srcW, outW, filter);
        if (!needV)
        {
            if (wide) ResampleKernels.HorizontalInt(result, src, srcW, y, h, horiz, x, w);
            else Horizontal8(result, src, srcW, bpp, y, h, horiz, x, w, premultiplied);
            return result;
        }

        var (first, last) = RowsRead(vert, y, h);
        int tempRows = Math.Max(last - first, 0);
        var temp = new byte[(long)tempRows * w * bpp];
        if (wide)
        {
            ResampleKernels.HorizontalInt(temp, src, srcW, first, tempRows, horiz, x, w);
            ResampleKernels.VerticalInt(result, temp, w, 0, w, first, vert, y, h);
        }
        else
        {
            Horizontal8(temp, src, srcW, bpp, first, tempRows, horiz, x, w, premultiplied);
            ResampleKernels.Vertical8(result, temp, w * bpp, 0, w * bpp, first, vert, y, h);
        }
        return result;
    }

    /// <summary>Rows [first, last) of the source that the vertical filters of output rows [y, y + h) read.</summary>
    private static (int First, int Last) RowsRead(ResampleCoefficients vert, int y, int h)
    {
        int first = vert.Start[y], last = vert.Start[y + h - 1] + vert.Count[y + h - 1];
        for (int j = y; j < y + h; j++)
        {
            first = Math.Min(first, vert.Start[j]);
            last = Math.Max(last, vert.Start[j] + vert.Count[j]);
        }
        return (first, last);
    }

    /// <summary>Bytes of source rows premultiplied at once by the horizontal pass.</summary>
    private const int PremultiplyBandBytes = 256 << 10;

    /// <summary>
    /// <see cref="ResampleKernels.Horizontal8"/> over source rows [rowStart, rowStart + rows); with
    /// <paramref name="premultiplied"/>, each band of rows is copied and premultiplied first.
    /// </summary>
    private static void Horizontal8(Span<byte> dst, byte[] src, int srcW, int bpp, int rowStart, int rows,
        ResampleCoefficients horiz, int x, int w, bool premultiplied)
    {
        if (!premultiplied)
        {
            ResampleKernels.Horizontal8(dst, src, srcW, bpp, rowStart, rows, horiz, x, w);
            return;
        }
        int stride = srcW * bpp, band = Math.Max(1, PremultiplyBandBytes / stride);
        var scratch = new byte[(long)Math.Min(band, rows) * stride];
        for (int r = 0; r < rows; r += band)
        {
            int n = Math.Min(band, rows - r);
            var rowsIn = scratch.AsSpan(0, n * stride);
            src.AsSpan((rowStart + r) * stride, n * stride).CopyTo(rowsIn);
            AlphaPremultiplier.Premultiply(rowsIn, bpp);
            ResampleKernels.Horizontal8(dst[(r * w * bpp)..], rowsIn, srcW, bpp, 0, n, horiz, x, w);
        }
    }

    /// <summary>Columns [x, x + w) of source rows [first, last), packed and premultiplied.</summary>
    private static byte[] PremultipliedWindow(byte[] src, int srcW, int bpp, int x, int w, int first, int last)
    {
        int rowBytes = w * bpp;
        var window = new byte[(long)(last - first) * rowBytes];
        for (int q = first; q < last; q++)
            src.AsSpan((q * srcW + x) * bpp, rowBytes).CopyTo(window.AsSpan((q - first) * rowBytes));
        AlphaPremultiplier.Premultiply(window, bpp);
        return window;
    }

    /// <summary>The <paramref name="w"/> × <paramref name="h"/> window at (<paramref name="x"/>, <paramref name="y"/>), copied (Pillow's crop inside the image).</summary>
    public static ImageFrame Crop(ImageFrame source, int x, int y, int w, int h)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > source.Width || y + h > source.Height)
            throw new ArgumentOutOfRangeException(nameof(w), $"crop ({x}, {y}, {w}×{h}) lies outside the {source.Width}×{source.Height} image");
        return Derived(source, source.Mode, w, h, Crop(source.Pixels, source.Width, source.BytesPerPixel, x, y, w, h));
    }

    private static byte[] Crop(byte[] px, int width, int bpp, int x, int y, int w, int h)
    {
        var result = new byte[(long)w * h * bpp];
        for (int j = 0; j < h; j++)
            px.AsSpan(((y + j) * width + x) * bpp, w * bpp).CopyTo(result.AsSpan(j * w * bpp));
        return result;
    }

    private static ImageFrame Derived(ImageFrame source, PixelMode mode, int w, int h, byte[] pixels) =>
        new(w, h, mode, pixels)
        {
            Palette = source.Palette,
            HasTransparency = source.HasTransparency,
            ExifOrientation = source.ExifOrientation,
        };
}
