namespace ClipSharp.Imaging;

/// <summary>Builds the 256-entry RGBA palettes decoders attach to <see cref="PixelMode.P"/> frames.</summary>
internal static class PaletteBuilder
{
    /// <summary>
    /// 256 RGBA entries (i, i, i, 255): Pillow starts every palette as this grey ramp and overwrites only
    /// the entries a file defines, so indices past a short palette convert to grey i.
    /// </summary>
    public static byte[] GreyRamp()
    {
        var p = new byte[1024];
        for (int i = 0; i < 256; i++)
        {
            p[i * 4] = p[i * 4 + 1] = p[i * 4 + 2] = (byte)i;
            p[i * 4 + 3] = 255;
        }
        return p;
    }
}
