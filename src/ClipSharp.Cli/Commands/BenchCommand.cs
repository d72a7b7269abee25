using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ClipSharp.Models;
using ClipSharp.Tensors;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp bench`: encoder throughput (images/s, texts/s, GFLOP/s, peak RSS).</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "Architecture preset (random weights)", DefaultValueFactory = _ => "ViT-B-32" };
        var batch = new Option<int>("--batch") { Description = "Images per batch", DefaultValueFactory = _ => 32 };
        var textBatch = new Option<int>("--text-batch") { Description = "Texts per batch", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "Worker threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };
        var iterations = new Option<int>("--iterations") { Description = "Timed repetitions (best is reported)", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("bench", "Measure encoder throughput on random inputs.") { arch, batch, textBatch, threads, iterations, json };
        cmd.SetAction(parse =>
        {
            var config = ModelConfigs.Preset(parse.GetValue(arch)!);
            var model = ClipModel.Random(config, seed: 0);
            var ctx = new ComputeContext(parse.GetValue(threads));
            int b = parse.GetValue(batch), tb = parse.GetValue(textBatch), iters = parse.GetValue(iterations);
            int r = config.Vision.ImageSize, l = config.Text.ContextLength;
            var rng = new Random(0);
            var pixels = new Tensor(b, 3, r, r);
            foreach (ref var v in pixels.Span) v = (float)(rng.NextDouble() * 4 - 2);
            // Prompts like "a photo of a {label}.": start, 6 word tokens, end, padding.
            var tokens = new int[tb * l];
            for (int i = 0; i < tb; i++)
            {
                tokens[i * l] = config.Text.VocabSize - 2;
                for (int j = 1; j <= 6; j++) tokens[i * l + j] = 256 + rng.Next(config.Text.VocabSize - 512);
                tokens[i * l + 7] = config.Text.VocabSize - 1;
            }
            double imageRate = Best(() => model.EncodeImage(ctx, pixels), b, iters);
            double textRate = Best(() => model.EncodeText(ctx, tokens, tb), tb, iters);
            var result = new
            {
                arch = parse.GetValue(arch),
                threads = ctx.Threads,
                isa = ctx.Isa.ToString(),
                batch = b,
                text_batch = tb,
                images_per_s = imageRate,
                texts_per_s = textRate,
                image_gflops = imageRate * FlopCounter.Image(config) / 1e9,
                text_gflops = textRate * FlopCounter.Text(config, 8) / 1e9,
                peak_rss_mb = PeakRssMegabytes(),
            };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result));
            else
            {
                Console.WriteLine($"{result.arch}: {imageRate:F2} images/s (batch {b}, {result.image_gflops:F1} GFLOP/s), " +
                                  $"{textRate:F1} texts/s (batch {tb}, {result.text_gflops:F1} GFLOP/s), {ctx.Threads} threads, {ctx.Isa}, peak RSS {result.peak_rss_mb:F0} MB");
            }
            return 0;
        });
        return cmd;
    }

    private static double Best(Action run, int items, int iterations)
    {
        run();  // warm-up: JIT, page faults
        double best = 0;
        for (int i = 0; i < iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Max(best, items / sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>VmHWM from /proc/self/status (Linux), else the GC's view of the working set.</summary>
    internal static double PeakRssMegabytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
            foreach (var line in File.ReadLines(status))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return double.Parse(line[6..].Trim().Split(' ')[0]) / 1024.0;
        return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
    }
}
