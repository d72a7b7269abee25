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
        var batch = ModelOptions.BatchOption("Images per batch", 32);
        var textBatch = new Option<int>("--text-batch") { Description = "Texts per batch", DefaultValueFactory = _ => 256 };
        var threads = ModelOptions.ThreadsOption();
        var iterations = new Option<int>("--iterations") { Description = "Timed repetitions (best is reported)", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var modelPath = ModelOptions.ModelOption(required: false, whenOmitted: "omitted: a random --arch preset is timed");
        var textsFile = new Option<string?>("--texts-file") { Description = "JSON array of prompts (default: \"a photo of a {label}.\" over the ImageNet classes)" };
        var peak = new Option<bool>("--peak") { Description = "Also measure the machine's float32 FMA peak" };
        var precision = ModelOptions.PrecisionOption();
        var agreementImages = new Option<string[]>("--agreement-images")
        {
            Description = "With --precision int8: image files or folders whose int8 and fp32 embeddings are compared (cosine)",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("bench", "Measure encoder throughput (random pixels, real prompts).")
            { arch, modelPath, batch, textBatch, threads, iterations, textsFile, peak, json, precision, agreementImages };
        cmd.SetAction(parse =>
        {
            var ctx = new ComputeContext(parse.GetValue(threads));
            var model = parse.GetValue(modelPath) is { } path
                ? ModelLoader.Load(Pretrained.ModelResolver.Resolve(path, progress: ConsoleDownloadProgress.ForStandardError()))
                : ClipModel.Random(ModelConfigs.Preset(parse.GetValue(arch)!), seed: 0);
            var chosen = ModelOptions.ParsePrecision(parse.GetValue(precision)!);
            (double Mean, double Min, int Count)? agreement = null;
            if (chosen == Precision.Int8)
            {
                // Agreement with fp32 on random pixels and on the given images, before timing.
                var probe = new List<Tensor> { RandomPixels(8, model.Config.Vision.ImageSize, seed: 1) };
                var files = ImageFiles.Expand(parse.GetValue(agreementImages) ?? []);
                if (files.Count > 0)
                {
                    var pre = new Imaging.Preprocessing.Preprocessor(Imaging.Preprocessing.PreprocessConfig.Clip(model.Config.Vision.ImageSize));
                    var real = new Tensor(files.Count, 3, model.Config.Vision.ImageSize, model.Config.Vision.ImageSize);
                    for (int i = 0; i < files.Count; i++) pre.Preprocess(Imaging.ImageDecoder.Decode(files[i]), real.Span.Slice(i * pre.OutputLength, pre.OutputLength));
                    probe.Add(real);
                }
                var fp32 = ctx.WithWeights(model.PrepareForInference(Precision.Float32, ctx));
                var exact = probe.Select(p => model.EncodeImage(fp32, p)).ToList();
                fp32 = null;
                ctx = ctx.WithWeights(model.PrepareForInference(Precision.Int8, ctx));
                var cosines = probe.SelectMany((p, i) => Cosines(exact[i], model.EncodeImage(ctx, p))).ToList();
                agreement = (cosines.Average(), cosines.Min(), cosines.Count);
            }
            else ctx = ctx.WithWeights(model.PrepareForInference(Precision.Float32, ctx));
            var config = model.Config;
            int b = parse.GetValue(batch), tb = parse.GetValue(textBatch), iters = parse.GetValue(iterations);
            int r = config.Vision.ImageSize, l = config.Text.ContextLength;
            var pixels = RandomPixels(b, r, seed: 0);
            var prompts = parse.GetValue(textsFile) is { } tf
                ? EmbedCommand.ReadTexts(tf)
                : ZeroShot.PromptSets.ImageNetClasses.Select(c => $"a photo of a {c}.").ToArray();
            var rows = Text.ClipTokenizer.Default.Encode(Enumerable.Range(0, tb).Select(i => prompts[i % prompts.Count]).ToArray(), l, truncate: true);
            var tokens = new int[tb * l];
            Buffer.BlockCopy(rows, 0, tokens, 0, tokens.Length * sizeof(int));
            int longest = Enumerable.Range(0, tb).Max(i => TextTransformer.ArgMaxFirst(tokens.AsSpan(i * l, l))) + 1;
            var pauseBefore = GC.GetTotalPauseDuration();
            int gen2Before = GC.CollectionCount(2);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            double imageRate = Best(() => model.EncodeImage(ctx, pixels), b, iters);
            double imageCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / (wall.Elapsed.TotalSeconds * ctx.Threads);
            double imageGcPauseMs = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds;
            int imageGen2 = GC.CollectionCount(2) - gen2Before;
            double textRate = Best(() => model.EncodeText(ctx, tokens, tb), tb, iters);
            // Batch-1 latency, what a server answering one query waits: one image, one prompt.
            var onePixel = RandomPixels(1, r, seed: 2);
            double imageLatencyMs = 1000 / Best(() => model.EncodeImage(ctx, onePixel), 1, iters * 4);
            var oneText = tokens.AsSpan(0, l).ToArray();
            double textLatencyMs = 1000 / Best(() => model.EncodeText(ctx, oneText, 1), 1, iters * 4);
            double peakGflops = parse.GetValue(peak) ? ClipModel.MeasurePeakGflops(ctx.Threads) : double.NaN;
            var result = new
            {
                peak_gflops = double.IsNaN(peakGflops) ? (double?)null : peakGflops,
                image_fraction_of_peak = double.IsNaN(peakGflops) ? (double?)null : imageRate * FlopCounter.Image(config) / 1e9 / peakGflops,
                arch = parse.GetValue(modelPath) ?? parse.GetValue(arch),
                threads = ctx.Threads,
                isa = ctx.Isa.ToString(),
                batch = b,
                text_batch = tb,
                images_per_s = imageRate,
                texts_per_s = textRate,
                image_latency_ms = imageLatencyMs,
                text_latency_ms = textLatencyMs,
                image_gflops = imageRate * FlopCounter.Image(config) / 1e9,
                text_tokens_computed = longest,
                text_gflops = textRate * FlopCounter.Text(config, longest) / 1e9,
                peak_rss_mb = PeakRssMegabytes(),
                image_cpu_busy = imageCpu,
                image_gc_pause_ms = imageGcPauseMs,
                image_gen2_collections = imageGen2,
                precision = chosen == Precision.Int8 ? "int8" : "fp32",
                int8_cosine_mean = agreement?.Mean,
                int8_cosine_min = agreement?.Min,
                int8_cosine_images = agreement?.Count,
            };
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(result));
            else
            {
                Console.WriteLine($"{result.arch}: {imageRate:F2} images/s (batch {b}, {result.image_gflops:F1} GFLOP/s), " +
                                  $"{textRate:F1} texts/s (batch {tb}, {result.text_gflops:F1} GFLOP/s), {ctx.Threads} threads, {ctx.Isa}, peak RSS {result.peak_rss_mb:F0} MB" +
                                  (double.IsNaN(peakGflops) ? "" : $"; FMA peak {peakGflops:F0} GFLOP/s, image encoder at {result.image_fraction_of_peak:P0} of it") +
                                  (agreement is { } a ? $"; int8 vs fp32 image embeddings: cosine mean {a.Mean:F4}, min {a.Min:F4} over {a.Count} images" : ""));
            }
            return 0;
        });
        return cmd;
    }

    private static Tensor RandomPixels(int count, int size, int seed)
    {
        var rng = new Random(seed);
        var pixels = new Tensor(count, 3, size, size);
        foreach (ref var v in pixels.Span) v = (float)(rng.NextDouble() * 4 - 2);
        return pixels;
    }

    /// <summary>Cosine similarity of matching rows of two (N, E) feature tensors.</summary>
    internal static IEnumerable<double> Cosines(Tensor a, Tensor b)
    {
        int n = a.Shape[0], e = a.Shape[1];
        for (int i = 0; i < n; i++)
        {
            var x = a.Span.Slice(i * e, e);
            var y = b.Span.Slice(i * e, e);
            yield return System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(x, y);
        }
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
