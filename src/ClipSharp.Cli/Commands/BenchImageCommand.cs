using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp bench-image FILE [--size 224]`: milliseconds for a full decode, for decode + CLIP
/// preprocessing, and for the same with draft (DCT-scaled) JPEG decoding. Best of several runs.
/// </summary>
internal static class BenchImageCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Image file" };
        var size = new Option<int>("--size") { Description = "Preprocessing resolution", DefaultValueFactory = _ => 224 };
        var seconds = new Option<double>("--seconds") { Description = "Time budget per measurement", DefaultValueFactory = _ => 2.0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("bench-image", "Time image decoding and preprocessing.") { file, size, seconds, json };
        cmd.SetAction(parse =>
        {
            var path = CommandHelpers.RequireFile(parse.GetValue(file)!, "file");
            var bytes = File.ReadAllBytes(path);
            int r = parse.GetValue(size);
            double budget = parse.GetValue(seconds);
            var pre = new Preprocessor(PreprocessConfig.Clip(r));
            var buffer = new float[pre.OutputLength];
            var frame = ImageDecoder.Decode(bytes, path);
            double decode = Best(() => ImageDecoder.Decode(bytes, path), budget);
            double full = Best(() => pre.Preprocess(ImageDecoder.Decode(bytes, path), buffer), budget);
            double draft = Best(() => pre.Preprocess(ImageDecoder.DecodeDraft(bytes, path, r, r), buffer), budget);
            // Accuracy cost of the draft path, in 8-bit levels of the preprocessed image.
            var exact = pre.Preprocess(frame);
            var approx = pre.Preprocess(ImageDecoder.DecodeDraft(bytes, path, r, r));
            int plane = r * r;
            var levels = Enumerable.Range(0, exact.Length)
                .Select(i => Math.Abs(exact[i] - approx[i]) * pre.Config.Std[i / plane] * 255.0).ToArray();
            var result = new { file = path, width = frame.Width, height = frame.Height, size = r,
                draft_mean_level_error = levels.Average(), draft_max_level_error = levels.Max(),
                draft_identical_fraction = levels.Count(l => l < 0.5) / (double)levels.Length,
                decode_ms = decode, decode_preprocess_ms = full, draft_decode_preprocess_ms = draft,
                decode_megapixels_per_s = frame.Width * (double)frame.Height / decode / 1000 };
            Console.WriteLine(parse.GetValue(json) ? JsonSerializer.Serialize(result)
                : $"{path} ({frame.Width}x{frame.Height}): decode {decode:F2} ms ({result.decode_megapixels_per_s:F0} MP/s), decode+preprocess {full:F2} ms, draft decode+preprocess {draft:F2} ms " +
                  $"(mean error {result.draft_mean_level_error:F2} levels, max {result.draft_max_level_error:F0}, {result.draft_identical_fraction:P1} identical)");
            return 0;
        });
        return cmd;
    }

    private static double Best(Action run, double seconds)
    {
        run();
        double best = double.MaxValue;
        var total = Stopwatch.StartNew();
        do
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        } while (total.Elapsed.TotalSeconds < seconds);
        return best;
    }
}
