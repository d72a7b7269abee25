namespace ClipSharp.Imaging;

/// <summary>
/// How the samples of an <see cref="ImageFrame"/> are laid out; the names follow Pillow's modes,
/// because preprocessing must convert to RGB exactly as Pillow does from the mode it opened.
/// </summary>
public enum PixelMode
{
    /// <summary>8-bit greyscale, one byte per pixel.</summary>
    L,
    /// <summary>8-bit greyscale + alpha, two bytes per pixel.</summary>
    LA,
    /// <summary>8-bit RGB, three bytes per pixel.</summary>
    Rgb,
    /// <summary>8-bit RGBA, four bytes per pixel.</summary>
    Rgba,
    /// <summary>8-bit CMYK, four bytes per pixel (as Pillow stores it after Adobe inversion handling).</summary>
    Cmyk,
    /// <summary>Palette indices, one byte per pixel; <see cref="ImageFrame.Palette"/> holds RGBA entries.</summary>
    P,
    /// <summary>16-bit greyscale (Pillow "I;16"), two bytes per pixel, native-endian ushort.</summary>
    I16,
    /// <summary>
    /// Bilevel (Pillow "1"), one byte per pixel holding 0 or 255. Pillow opens 1-bit greyscale PNG and
    /// black/white 1-bit BMP this way; it resizes with nearest neighbour.
    /// </summary>
    Bilevel,
    /// <summary>
    /// 32-bit signed integer greyscale (Pillow "I"), four bytes per pixel, native-endian int. Pillow opens
    /// 16-bit greyscale PNG as "I" (values 0..65535); resampling may leave values outside that range.
    /// </summary>
    I32,
}

/// <summary>A decoded image: width, height, pixel mode and tightly packed rows of samples.</summary>
public sealed class ImageFrame
{
    public int Width { get; }
    public int Height { get; }
    public PixelMode Mode { get; }

    /// <summary>Row-major samples, <see cref="BytesPerPixel"/> bytes per pixel, no row padding.</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// For <see cref="PixelMode.P"/>: RGBA quadruples (alpha 255 where no tRNS), else null. The decoders
    /// always supply 256 entries, the ones the file leaves undefined being Pillow's grey ramp (i, i, i, 255);
    /// conversion treats entries missing from a shorter palette the same way.
    /// </summary>
    public byte[]? Palette { get; init; }

    /// <summary>True when a palette or greyscale/RGB image carries transparency (PNG tRNS, GIF transparent index).</summary>
    public bool HasTransparency { get; init; }

    /// <summary>EXIF orientation tag (1..8) when the file carried one, else 1.</summary>
    public int ExifOrientation { get; init; } = 1;

    public ImageFrame(int width, int height, PixelMode mode, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentException($"image size {width}x{height} is not positive");
        long expected = (long)width * height * BytesPerPixelOf(mode);
        if (pixels.Length != expected)
            throw new ArgumentException($"{mode} image {width}x{height} needs {expected} bytes, got {pixels.Length}");
        Width = width;
        Height = height;
        Mode = mode;
        Pixels = pixels;
    }

    public int BytesPerPixel => BytesPerPixelOf(Mode);

    public static int BytesPerPixelOf(PixelMode mode) => mode switch
    {
        PixelMode.L or PixelMode.P or PixelMode.Bilevel => 1,
        PixelMode.LA or PixelMode.I16 => 2,
        PixelMode.Rgb => 3,
        PixelMode.Rgba or PixelMode.Cmyk or PixelMode.I32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };
}
