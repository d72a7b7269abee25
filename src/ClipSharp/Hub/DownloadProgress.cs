using System.Diagnostics;

namespace ClipSharp.Hub;

/// <summary>
/// A progress report for one file of a snapshot download.
/// </summary>
/// <param name="File">Repository path of the file being fetched.</param>
/// <param name="BytesDone">Bytes of the file on disk so far (resumed bytes included).</param>
/// <param name="TotalBytes">The file's size when the hub announced it.</param>
/// <param name="BytesPerSecond">Average transfer rate of this download (resumed bytes excluded).</param>
/// <param name="FileIndex">1-based position of the file among those being downloaded.</param>
/// <param name="FileCount">How many files this snapshot downloads (cached ones are not counted).</param>
/// <param name="Completed">True on the last report for the file.</param>
public readonly record struct DownloadProgress(
    string File, long BytesDone, long? TotalBytes, double BytesPerSecond, int FileIndex, int FileCount, bool Completed)
{
    /// <summary>Fraction done in [0, 1], or null when the size is unknown.</summary>
    public double? Fraction => TotalBytes is { } t && t > 0 ? Math.Clamp((double)BytesDone / t, 0, 1) : null;

    /// <summary>Estimated time left at the current rate, or null when the size or rate is unknown.</summary>
    public TimeSpan? Eta => TotalBytes is { } t && BytesPerSecond > 0
        ? TimeSpan.FromSeconds(Math.Max(0, t - BytesDone) / BytesPerSecond)
        : null;
}

/// <summary>Throttles progress reports for one file to about ten a second and computes the rate.</summary>
internal sealed class ProgressMeter(IProgress<DownloadProgress>? sink, string file, long? total, int index, int count, long startBytes)
{
    private static readonly long Interval = Stopwatch.Frequency / 10;
    private readonly long _start = Stopwatch.GetTimestamp();
    private long _lastReport;
    private bool _reported;
    private long _transferred;

    /// <summary>Bytes on disk for the file (resumed prefix plus this run's bytes).</summary>
    public long BytesDone => startBytes + _transferred;

    public void Restart(long bytesOnDisk)
    {
        startBytes = bytesOnDisk;
        _transferred = 0;
    }

    public void Add(int bytes)
    {
        _transferred += bytes;
        var now = Stopwatch.GetTimestamp();
        if (_reported && now - _lastReport < Interval) return;
        (_lastReport, _reported) = (now, true);
        Report(false, now);
    }

    public void Complete() => Report(true, Stopwatch.GetTimestamp());

    private void Report(bool completed, long now)
    {
        if (sink == null) return;
        double seconds = (double)(now - _start) / Stopwatch.Frequency;
        double rate = seconds > 0 ? _transferred / seconds : 0;
        sink.Report(new DownloadProgress(file, BytesDone, total, rate, index, count, completed));
    }
}
