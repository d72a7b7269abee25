namespace ClipSharp.Imaging;

/// <summary>Sanity limits shared by the decoders, so corrupt headers cannot ask for absurd allocations.</summary>
public static class ImageLimits
{
    /// <summary>
    /// Largest pixel count a decoder accepts by default: Pillow's decompression-bomb error threshold
    /// (2 × <c>Image.MAX_IMAGE_PIXELS</c> = 178,956,970). Larger images are rejected as invalid.
    /// <see cref="ImageDecodeLimits"/> adds budgets relative to the input's size.
    /// </summary>
    public const long MaxPixels = 178_956_970;

    /// <summary>Throws <see cref="InvalidDataException"/> when <paramref name="width"/> × <paramref name="height"/> is not positive.</summary>
    internal static void CheckPositive(string format, long width, long height)
    {
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"{format}: image size {width}x{height} is not positive");
    }
}
