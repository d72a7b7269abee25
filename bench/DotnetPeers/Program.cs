// The .NET peers of `clipsharp bench`: ONNX Runtime and TorchSharp running the same CLIP towers on the
// same weights (exported by bench/peer/export_peers.py), timed the way ClipSharp's bench times itself.
//
//   dotnet run -c Release -- --engine ort|torchsharp|torchsharp-bf16 --dir EXPORT_DIR --tokens tokens.json
//       [--batch 32] [--text-batch 256] [--threads N] [--iters 5] [--features-out F.json]
//
// Prints one JSON object: images/s at --batch, batch-1 image and text latency (ms), texts/s at --text-batch,
// peak RSS. With --features-out, also writes the features of agreement.safetensors' inputs for the cosine check.
using System.Diagnostics;
using System.Text.Json;

var opts = Args.Parse(args);
var clock = Stopwatch.StartNew();
void Log(string what) => Console.Error.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {opts.Engine}: {what}");
IPeer peer = opts.Engine switch
{
    "ort" => new OrtPeer(opts.Dir, opts.Threads),
    "torchsharp" => new TorchSharpPeer(opts.Dir, opts.Threads, bf16: false),
    "torchsharp-bf16" => new TorchSharpPeer(opts.Dir, opts.Threads, bf16: true),
    _ => throw new ArgumentException($"--engine must be ort, torchsharp or torchsharp-bf16, not '{opts.Engine}'"),
};

Log("loaded");
var agreement = SafetensorsInputs.Read(Path.Combine(opts.Dir, "agreement.safetensors"));
int res = agreement.Resolution;
var rows = JsonSerializer.Deserialize<long[][]>(File.ReadAllText(opts.Tokens))!;
int context = rows[0].Length;
var rng = new Random(0);
float[] Pixels(int n) { var p = new float[n * 3 * res * res]; for (int i = 0; i < p.Length; i++) p[i] = (float)(rng.NextDouble() * 4 - 2); return p; }
long[] Tokens(int n) { var t = new long[n * context]; for (int i = 0; i < n; i++) rows[i % rows.Length].CopyTo(t, i * context); return t; }

var batchPixels = Pixels(opts.Batch);
var onePixel = Pixels(1);
var textTokens = Tokens(opts.TextBatch);
var oneText = Tokens(1);

Log("timing");
double imagesPerS = opts.Batch / Timing.BestSeconds(() => peer.EncodeImages(batchPixels, opts.Batch, res), opts.Iters);
Log($"images/s {imagesPerS:F2}");
double imageLatencyMs = 1000 * Timing.BestSeconds(() => peer.EncodeImages(onePixel, 1, res), opts.Iters * 4);
Log($"image latency {imageLatencyMs:F1} ms");
double textsPerS = opts.TextBatch / Timing.BestSeconds(() => peer.EncodeTexts(textTokens, opts.TextBatch, context), opts.Iters);
double textLatencyMs = 1000 * Timing.BestSeconds(() => peer.EncodeTexts(oneText, 1, context), opts.Iters * 4);

if (opts.FeaturesOut is { } featuresOut)
{
    var img = peer.EncodeImages(agreement.Pixels, agreement.ImageCount, res);
    var txt = peer.EncodeTexts(agreement.Tokens, agreement.TextCount, agreement.Context);
    File.WriteAllText(featuresOut, JsonSerializer.Serialize(new { image_features = img, text_features = txt,
        images = agreement.ImageCount, texts = agreement.TextCount }));
}

Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["peer"] = peer.Name, ["threads"] = opts.Threads, ["batch"] = opts.Batch, ["text_batch"] = opts.TextBatch,
    ["images_per_s"] = imagesPerS, ["image_latency_ms"] = imageLatencyMs,
    ["texts_per_s"] = textsPerS, ["text_latency_ms"] = textLatencyMs, ["peak_rss_mb"] = Timing.PeakRssMb(),
}));
(peer as IDisposable)?.Dispose();

interface IPeer
{
    string Name { get; }
    /// <summary>Image features (n × E, row-major) of n images of (3, res, res).</summary>
    float[] EncodeImages(float[] pixels, int n, int res);
    /// <summary>Text features (n × E) of n token rows of <paramref name="context"/> ids.</summary>
    float[] EncodeTexts(long[] tokens, int n, int context);
}

static class Timing
{
    /// <summary>One warm-up call, then the fastest of <paramref name="iters"/> timed calls, in seconds.</summary>
    public static double BestSeconds(Func<float[]> run, int iters)
    {
        run();
        double best = double.MaxValue;
        for (int i = 0; i < iters; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    public static double PeakRssMb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}

sealed record Args(string Engine, string Dir, string Tokens, int Batch, int TextBatch, int Threads, int Iters, string? FeaturesOut)
{
    public static Args Parse(string[] argv)
    {
        var map = new Dictionary<string, string>();
        for (int i = 0; i + 1 < argv.Length; i += 2)
        {
            if (!argv[i].StartsWith("--")) throw new ArgumentException($"unexpected argument '{argv[i]}'");
            map[argv[i][2..]] = argv[i + 1];
        }
        string Need(string k) => map.TryGetValue(k, out var v) ? v : throw new ArgumentException($"--{k} is required");
        int Int(string k, int d) => map.TryGetValue(k, out var v) ? int.Parse(v) : d;
        return new(Need("engine"), Need("dir"), Need("tokens"), Int("batch", 32), Int("text-batch", 256),
            Int("threads", Environment.ProcessorCount), Int("iters", 5), map.GetValueOrDefault("features-out"));
    }
}
