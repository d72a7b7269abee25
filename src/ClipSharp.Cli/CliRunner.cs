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
            // The asynchronous pipeline is the one that turns Ctrl+C / SIGTERM into the action's cancellation
            // token (and, if the action has not stopped 2 s later, exit code 130 / 143). Task.Run keeps the
            // caller's synchronisation context (a test host's) out of it.
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(2) };
            return Task.Run(() => parse.InvokeAsync(config)).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (Environment.GetEnvironmentVariable("CLIPSHARP_DEBUG") != "1")
        {
            Console.Error.WriteLine("clipsharp: interrupted");
            return 130;
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
