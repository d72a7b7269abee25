// Times CLIP preprocessing (decode excluded) of a synthetic RGB image: resize shorter side to R (bicubic),
// center crop, normalise. Usage: dotnet run -c Release --project bench/ImagingBench [width height size iterations]
using System.Diagnostics;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;

int w = args.Length > 0 ? int.Parse(args[0]) : 1024;
int h = args.Length > 1 ? int.Parse(args[1]) : 768;
int size = args.Length > 2 ? int.Parse(args[2]) : 224;
int iterations = args.Length > 3 ? int.Parse(args[3]) : 200;

var rng = new Random(7);
var pixels = new byte[w * h * 3];
for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
        for (int c = 0; c < 3; c++)
            pixels[(y * w + x) * 3 + c] = (byte)((x * (c + 1) + y * 3 + rng.Next(32)) & 255);
var frame = new ImageFrame(w, h, PixelMode.Rgb, pixels);
var pre = new Preprocessor(PreprocessConfig.Clip(size));
var output = new float[pre.OutputLength];

for (int i = 0; i < 20; i++) pre.Preprocess(frame, output); // warm-up (tiered JIT)
var times = new double[iterations];
for (int i = 0; i < iterations; i++)
{
    long t0 = Stopwatch.GetTimestamp();
    pre.Preprocess(frame, output);
    times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
}
Array.Sort(times);
Console.WriteLine($"preprocess {w}x{h} RGB -> {size}: median {times[iterations / 2]:F3} ms, min {times[0]:F3} ms, p90 {times[iterations * 9 / 10]:F3} ms ({iterations} runs, 1 thread)");
