using ClipSharp.Imaging.Bmp;
using ClipSharp.Imaging.Gif;
using ClipSharp.Imaging.Png;

namespace ClipSharp.Imaging;

/// <summary>The container formats <see cref="ImageDecoder"/> recognises by their first bytes.</summary>
public enum ImageFormat
{
    Unknown,
    Png,
    Jpeg,
    Gif,
    Bmp,
}

/// <summary>
/// Opens an image file of any supported format, chosen by its magic bytes (never by its extension),
/// into the <see cref="ImageFrame"/> Pillow 9.4 would open. Every failure is an
/// <see cref="InvalidDataException"/> whose message starts with the file name.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Identifies the format from the first bytes of a file.</summary>
    public static ImageFormat Sniff(ReadOnlySpan<byte> data)
    {
        if (PngDecoder.IsPng(data)) return ImageFormat.Png;
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat.Jpeg;
        if (GifDecoder.IsGif(data)) return ImageFormat.Gif;
        if (BmpDecoder.IsBmp(data)) return ImageFormat.Bmp;
        return ImageFormat.Unknown;
    }

    /// <summary>Reads and decodes the file at <paramref name="path"/> within <paramref name="limits"/> (default <see cref="ImageDecodeLimits.Default"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a supported image, is corrupt, or is over the limits.</exception>
    public static ImageFrame Decode(string path, ImageDecodeLimits? limits = null)
    {
        byte[] bytes = File.ReadAllBytes(path);
        return Decode(bytes, path, limits);
    }

    /// <summary>
    /// Decodes a JPEG at a reduced size in the DCT domain when it is at least twice as large as
    /// <paramref name="minWidth"/> × <paramref name="minHeight"/> (Pillow's draft mode: faster, not
    /// pixel-identical to a full decode); other formats decode in full.
    /// </summary>
    public static ImageFrame DecodeDraft(ReadOnlySpan<byte> data, string nameForErrors, int minWidth, int minHeight,
        ImageDecodeLimits? limits = null)
    {
        if (Sniff(data) == ImageFormat.Jpeg && Jpeg.JpegSize.Read(data) is { } size)
        {
            int d = Jpeg.JpegSize.DraftDenominator(size.Width, size.Height, minWidth, minHeight);
            if (d > 1)
            {
                try { return Jpeg.JpegDecoder.Decode(data, new Jpeg.JpegDecodeOptions { ScaleDenominator = d, Limits = limits }); }
                catch (InvalidDataException e) { throw new InvalidDataException($"{nameForErrors}: {e.Message}", e); }
                catch (NotSupportedException e) { throw new NotSupportedException($"{nameForErrors}: {e.Message}", e); }
            }
        }
        return Decode(data, nameForErrors, limits);
    }

    /// <summary>
    /// Decodes an in-memory file within <paramref name="limits"/> (default <see cref="ImageDecodeLimits.Default"/>;
    /// pass <see cref="ImageDecodeLimits.Upload"/> for untrusted uploads); <paramref name="nameForErrors"/>
    /// prefixes every error message.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is not a supported image, is corrupt, or is over the limits.</exception>
    /// <exception cref="NotSupportedException">The file uses a variant no decoder implements.</exception>
    /// <exception cref="OperationCanceledException"><see cref="ImageDecodeLimits.Cancellation"/> was cancelled.</exception>
    public static ImageFrame Decode(ReadOnlySpan<byte> data, string nameForErrors, ImageDecodeLimits? limits = null)
    {
        limits ??= ImageDecodeLimits.Default;
        var format = Sniff(data);
        try
        {
            return format switch
            {
                ImageFormat.Png => PngDecoder.Decode(data, limits),
                ImageFormat.Gif => GifDecoder.Decode(data, limits),
                ImageFormat.Bmp => BmpDecoder.Decode(data, limits),
                ImageFormat.Jpeg => Jpeg.JpegDecoder.Decode(data, new Jpeg.JpegDecodeOptions { Limits = limits }),
                _ => throw new InvalidDataException(Describe(data)),
            };
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{nameForErrors}: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{nameForErrors}: {e.Message}", e);
        }
    }

    private static string Describe(ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return "empty file: not an image";
        var head = Convert.ToHexString(data[..Math.Min(8, data.Length)]);
        return $"unsupported or unrecognised image format (first bytes {head}; expected PNG, JPEG, GIF or BMP)";
    }
}
