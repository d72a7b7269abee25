namespace ClipSharp.Imaging;

/// <summary>
/// Applies an EXIF orientation (1..8) so the pixels appear as the camera meant them, like Pillow's
/// <c>ImageOps.exif_transpose</c>. The CLIP reference does not do this, so preprocessing for parity
/// leaves it off; search indexing may turn it on.
/// </summary>
public static class Orientation
{
    /// <summary>
    /// The upright frame for <see cref="ImageFrame.ExifOrientation"/>: 1 identity, 2 mirror left-right,
    /// 3 rotate 180°, 4 mirror top-bottom, 5 transpose (mirror along the main diagonal), 6 rotate 90° clockwise,
    /// 7 transverse (mirror along the anti-diagonal), 8 rotate 90° counter-clockwise. The result has orientation 1.
    /// </summary>
    public static ImageFrame ApplyOrientation(ImageFrame frame)
    {
        int o = frame.ExifOrientation;
        if (o is < 2 or > 8)
            return o == 1 ? frame : throw new ArgumentOutOfRangeException(nameof(frame), o, "EXIF orientation must be 1..8");
        int w = frame.Width, h = frame.Height, bpp = frame.BytesPerPixel;
        bool swap = o >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        var src = frame.Pixels;
        var dst = new byte[src.Length];
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                // Source pixel (sx, sy) that lands at output (x, y).
                var (sx, sy) = o switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x), // 8
                };
                src.AsSpan((sy * w + sx) * bpp, bpp).CopyTo(dst.AsSpan((y * ow + x) * bpp, bpp));
            }
        }
        return new ImageFrame(ow, oh, frame.Mode, dst) { Palette = frame.Palette, HasTransparency = frame.HasTransparency };
    }
}
