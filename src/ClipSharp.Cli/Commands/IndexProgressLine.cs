using System.Globalization;
using ClipSharp.Search.Sync;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// The `clipsharp index` progress line: "Indexing: 120/5000 images, 1 failed, 14.2 files/s, ETA 00:05:43".
/// On a terminal it is rewritten in place (\r); otherwise (a log file, a pipe) printed at most every
/// <see cref="LogInterval"/>, plus the last state by <see cref="Finish"/>.
/// </summary>
public sealed class IndexProgressLine(TextWriter output, bool terminal) : IProgress<IndexProgress>
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private DateTime _lastPrinted = DateTime.MinValue;
    private string _line = "";
    private bool _pending;

    public void Report(IndexProgress p)
    {
        lock (_gate)
        {
            _line = Format(p);
            var now = DateTime.UtcNow;
            if (terminal) output.Write("\r" + _line.PadRight(79));
            else if (now - _lastPrinted >= LogInterval) { output.WriteLine(_line); _lastPrinted = now; _pending = false; return; }
            _pending = true;
        }
    }

    /// <summary>Ends the rewritten line (terminal) or prints the last unprinted state (log).</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (terminal) { if (_line.Length > 0) output.WriteLine(); }
            else if (_pending) output.WriteLine(_line);
            _pending = false;
        }
    }

    public static string Format(IndexProgress p)
    {
        string eta = p.Eta is { } e ? FormatDuration(e) : "--:--:--";
        return string.Create(CultureInfo.InvariantCulture,
            $"{p.Phase}: {p.Done}/{p.Total} images, {p.Failed} failed, {p.FilesPerSecond:F1} files/s, ETA {eta}");
    }

    private static string FormatDuration(TimeSpan t) => t.TotalHours >= 100
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:D2}:{t.Minutes:D2}:{t.Seconds:D2}");
}
