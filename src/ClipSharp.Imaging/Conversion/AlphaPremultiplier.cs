namespace ClipSharp.Imaging.Conversion;

/// <summary>
/// Pillow's "RGBA"↔"RGBa" and "LA"↔"La" conversions, which <c>Image.resize</c> wraps around every
/// non-nearest resize of an image with alpha.
/// </summary>
public static class AlphaPremultiplier
{
    /// <summary>
    /// In place, for pixels of <paramref name="channels"/> bytes whose last byte is alpha a:
    /// every colour byte c becomes MULDIV255(c, a) (a = 255 keeps c; a = 0 gives 0). Alpha is kept.
    /// </summary>
    public static void Premultiply(Span<byte> pixels, int channels)
    {
        for (int i = 0; i + channels <= pixels.Length; i += channels)
        {
            int a = pixels[i + channels - 1];
            if (a == 255) continue;
            for (int c = 0; c < channels - 1; c++) pixels[i + c] = RgbConverter.MulDiv255(pixels[i + c], a);
        }
    }

    /// <summary>
    /// In place, the inverse Pillow uses: a = 0 keeps c unchanged; otherwise c becomes
    /// min(255, floor(255·c / a)) (integer division). Alpha is kept.
    /// </summary>
    public static void Unpremultiply(Span<byte> pixels, int channels)
    {
        for (int i = 0; i + channels <= pixels.Length; i += channels)
        {
            int a = pixels[i + channels - 1];
            if (a == 0 || a == 255) continue;
            for (int c = 0; c < channels - 1; c++) pixels[i + c] = (byte)Math.Min(255, 255 * pixels[i + c] / a);
        }
    }
}
