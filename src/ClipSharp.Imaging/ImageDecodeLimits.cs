namespace ClipSharp.Imaging;

/// <summary>
/// What one decode may cost, so that a small hostile file cannot make a decoder allocate or work without
/// bound. Every decoder estimates the memory it will hold (pixel planes, coefficients, output) from the
/// header, before allocating, and refuses with <see cref="InvalidDataException"/> when that exceeds
/// <see cref="MemoryBudget"/> for the input's length or when the header declares more pixels than the
/// bytes present could possibly encode. JPEG scans are also bounded in number and in total work.
/// <see cref="Default"/> suits files on disk (Pillow's pixel limit, plus the input-relative budget);
/// <see cref="Upload"/> is much smaller, for untrusted uploads to a server.
/// </summary>
public sealed record ImageDecodeLimits
{
    /// <summary>Largest width × height accepted (default: Pillow's decompression-bomb error threshold).</summary>
    public long MaxPixels { get; init; } = ImageLimits.MaxPixels;

    /// <summary>Absolute cap on the working memory a decode may allocate, whatever the input's size.</summary>
    public long MaxMemoryBytes { get; init; } = 2L << 30;

    /// <summary>Memory any input may use regardless of its size (lets tiny flat images decode).</summary>
    public long MemoryFloorBytes { get; init; } = 48L << 20;

    /// <summary>Extra memory allowed per byte of input: the budget grows with the evidence the file brings.</summary>
    public long MemoryPerInputByte { get; init; } = 112;

    /// <summary>Most scans (SOS segments) a JPEG may have; libjpeg's default scripts use at most about 10.</summary>
    public int MaxJpegScans { get; init; } = 500;

    /// <summary>
    /// Total scan work allowed, in passes over the image's blocks: a scan costs one unit per block it visits,
    /// and an AC refinement scan, which must look at every coefficient of its band, one per eight of them
    /// (a sequential file costs 1, libjpeg's default progressive script about 20 for greyscale).
    /// </summary>
    public int MaxJpegScanPasses { get; init; } = 64;

    /// <summary>Checked once per row (or MCU row): cancelling makes the decode throw <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Limits for files on disk: Pillow's pixel limit and a budget of 48 MiB + 112 bytes per input byte (at most 2 GiB):
    /// a 1 MB file may decode to about 155 MiB of working memory, a 3 MB camera JPEG to 368 MiB.
    /// </summary>
    public static ImageDecodeLimits Default { get; } = new();

    /// <summary>
    /// Limits for untrusted uploads: 40 megapixels, 16 MiB + 64 bytes per input byte of working memory (at
    /// most 192 MiB), 100 JPEG scans and 40 passes of scan work. A 12-megapixel camera JPEG of 2-3 MB decodes.
    /// </summary>
    public static ImageDecodeLimits Upload { get; } = new()
    {
        MaxPixels = 40_000_000,
        MaxMemoryBytes = 192L << 20,
        MemoryFloorBytes = 16L << 20,
        MemoryPerInputByte = 64,
        MaxJpegScans = 100,
        MaxJpegScanPasses = 40,
    };

    /// <summary>Working memory a decode of an input of <paramref name="inputLength"/> bytes may allocate.</summary>
    public long MemoryBudget(long inputLength)
    {
        long perByte = MemoryPerInputByte <= 0 ? 0
            : inputLength > (long.MaxValue - MemoryFloorBytes) / MemoryPerInputByte ? long.MaxValue - MemoryFloorBytes
            : inputLength * MemoryPerInputByte;
        return Math.Min(MaxMemoryBytes, MemoryFloorBytes + perByte);
    }

    /// <summary>
    /// Throws when <paramref name="width"/> × <paramref name="height"/> is not positive or above
    /// <see cref="MaxPixels"/>, or when <paramref name="memoryBytes"/> (the decoder's estimate of what it
    /// will allocate) is above <see cref="MemoryBudget"/> for <paramref name="inputLength"/>.
    /// </summary>
    internal void Check(string format, long width, long height, long memoryBytes, long inputLength, string what)
    {
        ImageLimits.CheckPositive(format, width, height);
        long pixels = width * height;
        if (pixels > MaxPixels)
            throw new InvalidDataException(
                $"{format}: {what} declares {width}x{height} = {pixels} pixels, more than the limit of {MaxPixels}");
        long budget = MemoryBudget(inputLength);
        if (memoryBytes > budget)
            throw new InvalidDataException(
                $"{format}: {what} declares {width}x{height}, which needs about {Mib(memoryBytes)} MiB to decode; " +
                $"the budget for a {inputLength}-byte input is {Mib(budget)} MiB (a decompression bomb?)");
    }

    /// <summary>
    /// Bytes charged for a decoded frame of <paramref name="bytesPerPixel"/>: at least 3 per pixel, because
    /// what follows a decode (preprocessing, thumbnails) converts to RGB, so a palette or greyscale frame
    /// costs an RGB frame's memory downstream.
    /// </summary>
    internal static long FrameBytes(long width, long height, int bytesPerPixel) => width * height * Math.Max(3, bytesPerPixel);

    internal void ThrowIfCancelled() => Cancellation.ThrowIfCancellationRequested();

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);
}
