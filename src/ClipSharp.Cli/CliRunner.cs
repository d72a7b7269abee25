using System.CommandLine;

namespace ClipSharp.Cli;

/// <summary>
/// Runs the parsed command and turns library exceptions into one clear line on stderr and a
/// non-zero exit code (2 for bad input, 1 for anything unexpected), never a stack trace unless
/// CLIPSHARP_DEBUG=1.
/// </summary>
public static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("CLIPSHARP_DEBUG") != "1")
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } agg ? agg.InnerExceptions[0] : e;
            Console.Error.WriteLine($"clipsharp: error: {inner.Message}");
            return IsBadInput(inner) ? 2 : 1;
        }
    }

    private static bool IsBadInput(Exception e) => e is IOException or InvalidDataException or ArgumentException
        or FormatException or UnauthorizedAccessException or NotSupportedException
        or ClipSharp.IO.CheckpointException or System.Text.Json.JsonException;
}
