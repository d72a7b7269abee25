using ClipSharp.Hub;

namespace ClipSharp.Cli;

/// <summary>
/// Shows hub downloads on a console: one line per file, rewritten in place on a terminal
/// (<c>[2/5] model.safetensors  123.4 MB / 605.0 MB  45.6 MB/s  ETA 0:11</c>); when the stream is redirected only
/// the finished line of each file is written, so logs stay readable.
/// </summary>
public sealed class ConsoleDownloadProgress(TextWriter writer, bool interactive) : IProgress<DownloadProgress>
{
    private readonly object _gate = new();
    private int _lastWidth;

    /// <summary>Progress on stderr, rewriting the line only when stderr is a terminal.</summary>
    public static ConsoleDownloadProgress ForStandardError() => new(Console.Error, !Console.IsErrorRedirected);

    public void Report(DownloadProgress value)
    {
        var line = Format(value);
        lock (_gate)
        {
            if (interactive)
            {
                writer.Write('\r' + line.PadRight(_lastWidth));
                _lastWidth = line.Length;
                if (value.Completed) { writer.WriteLine(); _lastWidth = 0; }
            }
            else if (value.Completed)
            {
                writer.WriteLine(line);
            }
            writer.Flush();
        }
    }

    /// <summary>The progress line for one report.</summary>
    public static string Format(DownloadProgress p)
    {
        var size = p.TotalBytes is { } total ? $"{Bytes(p.BytesDone)} / {Bytes(total)}" : Bytes(p.BytesDone);
        var rate = p.BytesPerSecond > 0 ? $"  {Bytes((long)p.BytesPerSecond)}/s" : "";
        var tail = p.Completed ? "  done" : p.Eta is { } eta ? $"  ETA {Duration(eta)}" : "";
        return $"[{p.FileIndex}/{p.FileCount}] {p.File}  {size}{rate}{tail}";
    }

    /// <summary>Decimal units, one decimal: 999 B, 1.5 kB, 605.0 MB, 3.9 GB.</summary>
    public static string Bytes(long n) => n switch
    {
        < 1000 => $"{n} B",
        < 1_000_000 => $"{n / 1e3:F1} kB",
        < 1_000_000_000 => $"{n / 1e6:F1} MB",
        _ => $"{n / 1e9:F1} GB",
    };

    /// <summary>m:ss, or h:mm:ss from an hour on.</summary>
    public static string Duration(TimeSpan t) => t.TotalHours >= 1
        ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}"
        : $"{(int)t.TotalMinutes}:{t.Seconds:D2}";
}
