using System.Runtime.InteropServices;

namespace ClipSharp.Imaging.Conversion;

/// <summary>
/// Converts frames to 8-bit RGB exactly as Pillow 9.4's <c>Image.convert("RGB")</c> does from each mode.
/// </summary>
public static class RgbConverter
{
    /// <summary>
    /// The RGB version of <paramref name="frame"/> (the same instance when it is already RGB):
    /// L and "1" replicate the grey value; LA and RGBA drop alpha (no compositing); P looks up the palette
    /// (its alpha ignored; indices past the palette are grey i); CMYK gives 255·(1−c)(1−k) per channel
    /// computed as MULDIV255(255 − c, 255 − k); "I" and "I;16" clip the value to 0..255 and replicate.
    /// </summary>
    public static ImageFrame ToRgb(ImageFrame frame)
    {
        if (frame.Mode == PixelMode.Rgb) return frame;
        var rgb = new byte[(long)frame.Width * frame.Height * 3];
        Convert(frame.Mode, frame.Pixels, frame.Palette, rgb);
        return new ImageFrame(frame.Width, frame.Height, PixelMode.Rgb, rgb) { ExifOrientation = frame.ExifOrientation };
    }

    /// <summary>
    /// Converts pixels of <paramref name="mode"/> in <paramref name="source"/> to RGB triples in
    /// <paramref name="rgb"/> (overwritten; its length fixes the pixel count).
    /// </summary>
    public static void Convert(PixelMode mode, ReadOnlySpan<byte> source, byte[]? palette, Span<byte> rgb)
    {
        int n = rgb.Length / 3;
        switch (mode)
        {
            case PixelMode.Rgb:
                source[..(n * 3)].CopyTo(rgb);
                break;
            case PixelMode.L:
            case PixelMode.Bilevel:
                for (int i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = source[i];
                break;
            case PixelMode.LA:
                for (int i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = source[i * 2];
                break;
            case PixelMode.Rgba:
                for (int i = 0; i < n; i++)
                {
                    rgb[i * 3] = source[i * 4];
                    rgb[i * 3 + 1] = source[i * 4 + 1];
                    rgb[i * 3 + 2] = source[i * 4 + 2];
                }
                break;
            case PixelMode.Cmyk:
                for (int i = 0; i < n; i++)
                {
                    int k = 255 - source[i * 4 + 3];
                    rgb[i * 3] = MulDiv255(255 - source[i * 4], k);
                    rgb[i * 3 + 1] = MulDiv255(255 - source[i * 4 + 1], k);
                    rgb[i * 3 + 2] = MulDiv255(255 - source[i * 4 + 2], k);
                }
                break;
            case PixelMode.P:
                ConvertPalette(source[..n], palette, rgb);
                break;
            case PixelMode.I16:
                var u16 = MemoryMarshal.Cast<byte, ushort>(source)[..n];
                for (int i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = (byte)Math.Min((int)u16[i], 255);
                break;
            case PixelMode.I32:
                var i32 = MemoryMarshal.Cast<byte, int>(source)[..n];
                for (int i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = (byte)Math.Clamp(i32[i], 0, 255);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "no RGB conversion for this mode");
        }
    }

    private static void ConvertPalette(ReadOnlySpan<byte> indices, byte[]? palette, Span<byte> rgb)
    {
        // Entries past the supplied palette are Pillow's default grey ramp.
        Span<byte> lut = stackalloc byte[768];
        for (int i = 0; i < 256; i++)
        {
            bool defined = palette is not null && i * 4 + 2 < palette.Length;
            lut[i * 3] = defined ? palette![i * 4] : (byte)i;
            lut[i * 3 + 1] = defined ? palette![i * 4 + 1] : (byte)i;
            lut[i * 3 + 2] = defined ? palette![i * 4 + 2] : (byte)i;
        }
        for (int i = 0; i < indices.Length; i++)
        {
            int p = indices[i] * 3;
            rgb[i * 3] = lut[p];
            rgb[i * 3 + 1] = lut[p + 1];
            rgb[i * 3 + 2] = lut[p + 2];
        }
    }

    /// <summary>Pillow's MULDIV255: round(a·b / 255) computed as t = a·b + 128; ((t >> 8) + t) >> 8.</summary>
    public static byte MulDiv255(int a, int b)
    {
        int t = a * b + 128;
        return (byte)(((t >> 8) + t) >> 8);
    }
}
