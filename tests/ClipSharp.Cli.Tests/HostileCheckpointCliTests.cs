using System.Diagnostics;
using ClipSharp.Tests;

namespace ClipSharp.Cli.Tests;

/// <summary>
/// `clipsharp info` and `clipsharp embed` on every generated hostile checkpoint, each as its own process:
/// exit code 2, exactly one stderr line naming the file, no stack trace, and bounded cost. The child runs
/// under `ulimit -t 2` (killed past 2 s of CPU, so the exit code would not be 2) and a 200 MB GC heap
/// limit (an allocation past it would be an out-of-memory refusal, not the expected line); its VmHWM is
/// sampled from /proc while it runs and must stay under 200 MB.
/// </summary>
[Collection("HostileCli")]
public class HostileCheckpointCliTests
{
    private const long MaxRssBytes = 200L << 20;

    [Fact]
    public void InfoAndEmbedRefuseEveryHostileFile()
    {
        using var dir = new CliHarness.TempDir();
        var files = HostileCheckpoints.WriteAll(dir.Path);
        Assert.True(files.Count >= 40);
        var failures = new List<string>();
        foreach (var (c, path) in files)
        {
            foreach (var command in new[] { "info", "embed" })
            {
                string[] args = command == "info"
                    ? ["info", "--model", path]
                    : ["embed", "--model", path, "--text", "a cat", "--out", Path.Combine(dir.Path, "out.jsonl"), "--threads", "1"];
                var (code, stderr, peak) = RunBounded(args);
                var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                if (code != 2) failures.Add($"{command} {c.Name}: exit {code}: {stderr.Trim()}");
                else if (lines.Length != 1) failures.Add($"{command} {c.Name}: {lines.Length} stderr lines: {stderr.Trim()}");
                else if (!lines[0].Contains(path + ":") || !lines[0].Contains(c.Expect))
                    failures.Add($"{command} {c.Name}: '{lines[0]}' lacks the file name or '{c.Expect}'");
                else if (stderr.Contains("   at ")) failures.Add($"{command} {c.Name}: stack trace");
                if (peak > MaxRssBytes) failures.Add($"{command} {c.Name}: peak RSS {peak >> 20} MB");
            }
        }
        Assert.False(File.Exists("/tmp/clipsharp-pwned"));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Runs the CLI under a 2 s CPU limit and a 200 MB heap limit; returns exit code, stderr and the last VmHWM seen.</summary>
    private static (int Code, string Stderr, long PeakRss) RunBounded(string[] args)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("ulimit -t 2; exec dotnet \"$@\"");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ClipSharp.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_GCHeapHardLimit"] = "0xC800000"; // 200 MB
        psi.Environment["DOTNET_TieredPGO"] = "0";
        psi.Environment.Remove("CLIPSHARP_DEBUG");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var _ = p.StandardOutput.ReadToEndAsync();
        long peak = 0;
        while (!p.WaitForExit(5))
            peak = Math.Max(peak, ReadHwm(p.Id));
        return (p.ExitCode, err.Result, peak);
    }

    private static long ReadHwm(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return 0;
    }
}

[CollectionDefinition("HostileCli", DisableParallelization = true)]
public class HostileCliCollection { }
