namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Applies <see cref="ImageDecodeLimits"/> to a JPEG: at the frame header, the memory the decode will hold
/// (sample planes, progressive coefficients, output) against the budget for the file's size, and the
/// declared block count against the bytes that follow (every block costs at least one bit of entropy-coded
/// data, so a frame with more blocks than 8 × those bytes cannot be a complete image); at each scan, the
/// number of scans and the total work of walking their blocks.
/// </summary>
internal sealed class JpegBudget(ImageDecodeLimits limits, int inputLength)
{
    private long _work;
    private long _workLimit;
    private int _scans;

    public ImageDecodeLimits Limits => limits;

    public void CheckFrame(JpegFrame frame, int at)
    {
        long coded = 0, padded = 0, planes = 0;
        foreach (var c in frame.Components)
        {
            coded += (long)c.WidthInBlocks * c.HeightInBlocks;
            long blocks = (long)c.BlocksPerLine * c.BlocksPerColumn;
            padded += blocks;
            planes += blocks * c.ScaledBlockSize * c.ScaledBlockSize;
        }
        int channels = frame.Components.Length switch { 1 => 1, 3 => 3, _ => 4 };
        long output = ImageDecodeLimits.FrameBytes(frame.OutputWidth, frame.OutputHeight, channels);
        long coefficients = frame.Progressive ? padded * 64 * sizeof(short) : 0;
        string what = $"frame header at byte offset {at}";
        limits.Check("JPEG", frame.Width, frame.Height, planes + coefficients + output, inputLength, what);

        long rest = inputLength - at;
        if (coded > rest * 8)
            throw new InvalidDataException(
                $"JPEG: {what} declares {frame.Width}x{frame.Height} ({coded} blocks) but only {rest} bytes follow: " +
                "every block needs at least one bit of scan data, so the file cannot hold that image");
        _workLimit = padded * Math.Max(1, limits.MaxJpegScanPasses);
    }

    /// <summary>
    /// Counts a scan and its work: one unit per block visited, or one per eight coefficients of the band for
    /// an AC refinement scan (which looks at every coefficient of every block). Throws past the limits.
    /// </summary>
    public void CheckScan(JpegFrame frame, ScanHeader scan)
    {
        if (++_scans > limits.MaxJpegScans)
            throw new InvalidDataException(
                $"JPEG: scan at byte offset {scan.Offset} is scan number {_scans}, more than the limit of {limits.MaxJpegScans} scans");
        long blocks;
        if (scan.Components.Length == 1)
            blocks = (long)scan.Components[0].WidthInBlocks * scan.Components[0].HeightInBlocks;
        else
        {
            long perMcu = 0;
            foreach (var c in scan.Components) perMcu += c.H * c.V;
            blocks = (long)frame.McusX * frame.McusY * perMcu;
        }
        bool refine = frame.Progressive && scan.Ss != 0 && scan.Ah != 0;
        long cost = refine ? blocks * ((scan.Se - scan.Ss + 8) / 8) : blocks;
        _work += cost;
        if (_work > _workLimit)
            throw new InvalidDataException(
                $"JPEG: scan at byte offset {scan.Offset} (scan number {_scans}) takes the scan work past " +
                $"{limits.MaxJpegScanPasses} passes over the image's blocks (too many scans for the image)");
    }
}
