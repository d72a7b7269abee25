using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ClipSharp.Fuzz;

// Deterministic mutational fuzzer for the image decoders and checkpoint readers (issue #17).
//   fuzz run    --target images|checkpoints|all --inputs N [--seed S] [--start I] [--batch B] [--slow-ms 2000]
//               [--timeout-ms 10000] [--max-alloc-mb 300] [--memory-mb 1536] [--corpus bench/fuzz/corpus]
//   fuzz worker --target T --seed S --start I --count N ...   (one batch in this process; used by run)
//   fuzz replay [--target T] [--corpus DIR] [--pending true]  (every saved input again; exit 1 on a failure)
//   fuzz totals [--log bench/fuzz/campaigns.tsv]              (lifetime inputs per target)
//   fuzz measure [--out DIR]                                  (CPU and peak RSS of the worst ~1 MB images, issue #19)
//   fuzz hostile --out DIR                                    (the hostile images and checkpoints as files, for bench/hostile/run.sh)
var opts = Options.Parse(args);
string repo = Options.RepoRoot();
string shared = Environment.GetEnvironmentVariable("CLIPSHARP_SHARED") is { Length: > 0 } env ? env : Path.GetFullPath(Path.Combine(repo, "..", "shared"));
var corpus = new Corpus(Path.GetFullPath(opts.Get("corpus", Path.Combine(repo, "bench/fuzz/corpus"))));
string logPath = opts.Get("log", Path.Combine(repo, "bench/fuzz/campaigns.tsv"));
IFuzzTarget Make(string t) => t switch
{
    "images" => new ImageTarget(repo, shared),
    "checkpoints" => new CheckpointTarget(repo, shared),
    _ => throw new ArgumentException($"unknown target '{t}' (expected images or checkpoints)"),
};
var limits = new FuzzLimits(opts.Int("slow-ms", 2000), opts.Int("timeout-ms", 10000), (long)opts.Int("max-alloc-mb", 300) << 20);
ulong seed = ulong.Parse(opts.Get("seed", "1"), CultureInfo.InvariantCulture);

try
{
    switch (opts.Command)
    {
        case "worker":
        {
            var target = Make(opts.Get("target"));
            var t = Worker.Run(target, seed, opts.Long("start", 0), opts.Long("count", 1), limits, corpus, opts.GetOrNull("progress"));
            (target as IDisposable)?.Dispose();
            Console.WriteLine(JsonSerializer.Serialize(t));
            return t.Failures == 0 ? 0 : 0;
        }
        case "run":
        {
            var targets = opts.Get("target", "all") == "all" ? new[] { "images", "checkpoints" } : [opts.Get("target")];
            long inputs = opts.Long("inputs", 10000), start = opts.Long("start", 0), batch = opts.Long("batch", 20000);
            bool failed = false;
            foreach (var t in targets)
            {
                var watch = Stopwatch.StartNew();
                var totals = Campaign.Run(t, seed, start, inputs, batch, limits, opts.Long("memory-mb", 1536), corpus, Make,
                    line => Console.Error.WriteLine($"[{watch.Elapsed:hh\\:mm\\:ss}] {line}"));
                double wall = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"{t}: {totals.Inputs} inputs in {wall:F0} s ({totals.Inputs / Math.Max(wall, 1e-9):F0}/s, {totals.CpuSeconds:F0} s CPU in readers): " +
                    $"{totals.Accepted} accepted, {totals.Refused} refused, untyped {totals.Untyped}, slow {totals.Slow}, memory {totals.Memory}, " +
                    $"hangs {totals.Hangs}, crashes {totals.Crashes}; slowest input {totals.MaxInputCpuSeconds * 1000:F0} ms CPU, " +
                    $"largest allocation {totals.MaxInputAllocatedBytes / 1048576.0:F1} MiB, worker peak RSS {totals.PeakRssMib:F0} MiB");
                foreach (var s in totals.Saved) Console.WriteLine($"  saved {Path.GetRelativePath(repo, s)}");
                Options.AppendLog(logPath, t, seed, start, totals, wall, string.Join(' ', args));
                failed |= totals.Failures > 0;
            }
            return failed ? 1 : 0;
        }
        case "replay":
        {
            var targets = opts.Get("target", "all") == "all" ? new[] { "images", "checkpoints" } : [opts.Get("target")];
            int bad = 0, n = 0;
            foreach (var name in targets)
            {
                var target = Make(name);
                string dir = Path.Combine(corpus.Root, name, opts.Get("pending", "false") == "true" ? "pending" : "");
                foreach (var (path, kind, bytes, rseed, rindex) in Corpus.Entries(dir))
                {
                    var input = bytes != null ? new FuzzInput(kind, bytes, path) : target.Generate(rseed, rindex);
                    var watch = Stopwatch.StartNew();
                    var (outcome, error) = target.Run(input);
                    n++;
                    string verdict = outcome == Outcome.Untyped ? $"UNTYPED {error!.GetType().Name}: {error.Message}" : outcome.ToString();
                    if (outcome == Outcome.Untyped || watch.ElapsedMilliseconds > limits.SlowMs) bad++;
                    Console.WriteLine($"{Path.GetRelativePath(repo, path)}: {verdict} in {watch.ElapsedMilliseconds} ms");
                }
                (target as IDisposable)?.Dispose();
            }
            Console.WriteLine($"replayed {n} inputs, {bad} still failing");
            return bad == 0 ? 0 : 1;
        }
        case "measure":
            return Measure.Run(opts.Get("out", Path.Combine(Path.GetTempPath(), "clipsharp-worst-cases")));
        case "hostile":
            return HostileSet.Write(opts.Get("out"));
        case "decode":
            return Measure.DecodeOne(opts.Get("file"));
        case "totals":
            Options.PrintTotals(logPath);
            return 0;
        default:
            Console.Error.WriteLine("usage: fuzz run|worker|replay|totals [options] (see the comment at the top of bench/ClipSharp.Fuzz/Program.cs)");
            return 2;
    }
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException)
{
    Console.Error.WriteLine($"fuzz: {e.Message}");
    return 2;
}
