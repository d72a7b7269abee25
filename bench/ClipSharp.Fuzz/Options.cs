using System.Globalization;

namespace ClipSharp.Fuzz;

/// <summary>`command --name value ...` arguments, the repository root, and the campaign log.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public string Command { get; private init; } = "";

    public static Options Parse(string[] args)
    {
        var o = new Options { Command = args.Length > 0 ? args[0] : "" };
        for (int i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--") || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value, found '{args[i]}'");
            o._values[args[i][2..]] = args[++i];
        }
        return o;
    }

    public string Get(string name, string? fallback = null) =>
        _values.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"missing --{name}");

    public string? GetOrNull(string name) => _values.GetValueOrDefault(name);

    public int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public long Long(string name, long fallback) => long.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    public static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d != null; d = d.Parent)
                if (File.Exists(Path.Combine(d.FullName, "ClipSharp.slnx"))) return d.FullName;
        }
        throw new DirectoryNotFoundException("could not find ClipSharp.slnx above the current directory");
    }

    private const string Header = "utc\ttarget\tseed\tstart\tinputs\twall_s\treader_cpu_s\taccepted\trefused\tfailures\tmachine\tcommand";

    public static void AppendLog(string path, string target, ulong seed, long start, Totals t, double wall, string command)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        bool fresh = !File.Exists(path);
        using var w = File.AppendText(path);
        if (fresh) w.WriteLine(Header);
        w.WriteLine(string.Join('\t', DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), target, seed, start,
            t.Inputs, wall.ToString("F0", CultureInfo.InvariantCulture), t.CpuSeconds.ToString("F0", CultureInfo.InvariantCulture),
            t.Accepted, t.Refused, t.Failures, Machine(), command));
    }

    public static void PrintTotals(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no campaign log at {path}");
        var rows = File.ReadLines(path).Skip(1).Select(l => l.Split('\t')).Where(r => r.Length >= 10);
        foreach (var g in rows.GroupBy(r => r[1]))
            Console.WriteLine($"{g.Key}: {g.Sum(r => long.Parse(r[4], CultureInfo.InvariantCulture))} inputs in {g.Count()} runs, " +
                $"{g.Sum(r => double.Parse(r[5], CultureInfo.InvariantCulture)):F0} s wall, {g.Sum(r => long.Parse(r[9], CultureInfo.InvariantCulture))} failures");
    }

    private static string Machine()
    {
        string cpu = "unknown CPU";
        try { cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu; }
        catch (IOException) { }
        return $"{cpu}, {Environment.ProcessorCount} cores, {Environment.OSVersion.Platform}";
    }
}
