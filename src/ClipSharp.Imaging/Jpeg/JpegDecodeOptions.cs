namespace ClipSharp.Imaging.Jpeg;

/// <summary>Options for <see cref="JpegDecoder.Decode"/>.</summary>
public sealed class JpegDecodeOptions
{
    /// <summary>
    /// Decode at 1/N of the full size (N = 1, 2, 4 or 8) using reduced-size inverse DCTs, as libjpeg's
    /// <c>scale_denom</c> does (and therefore Pillow's <c>Image.draft</c>). The output is
    /// ceil(width / N) x ceil(height / N).
    /// </summary>
    public int ScaleDenominator { get; init; } = 1;

    /// <summary>
    /// Largest frame (width x height of the coded image) accepted before any pixel memory is allocated;
    /// larger frames throw <see cref="InvalidDataException"/>. The default is Pillow's decompression-bomb
    /// error threshold (2 x 89,478,485 pixels), which a corrupt header can otherwise exceed.
    /// </summary>
    public long MaxPixels { get; init; } = 2L * 89_478_485;

    /// <summary>Memory, scan-count and scan-work budgets (null: <see cref="ImageDecodeLimits.Default"/>); the smaller of its pixel limit and <see cref="MaxPixels"/> applies.</summary>
    public ImageDecodeLimits? Limits { get; init; }
}
