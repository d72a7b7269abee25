// JPEG decode throughput: dotnet run -c Release --project bench/ClipSharp.Imaging.Bench -- FILE.jpg [more.jpg ...] [--scale N] [--seconds S]
// Prints megapixels (of the decoded output) per second, single-threaded, after a warm-up: the best of
// ~50 ms batches, since the machine may be shared.
using System.Diagnostics;
using ClipSharp.Imaging.Jpeg;

var files = new List<string>();
int scale = 1;
double seconds = 3;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--scale") scale = int.Parse(args[++i]);
    else if (args[i] == "--seconds") seconds = double.Parse(args[++i]);
    else files.Add(args[i]);
}
if (files.Count == 1 && files[0] == "--stages")
{
    Stages.Run();
    return 0;
}
if (files.Count == 0)
{
    Console.Error.WriteLine("usage: ClipSharp.Imaging.Bench FILE.jpg [...] [--scale N] [--seconds S]");
    return 2;
}
var options = new JpegDecodeOptions { ScaleDenominator = scale };
foreach (var file in files)
{
    byte[] data = File.ReadAllBytes(file);
    var frame = JpegDecoder.Decode(data, options);
    for (int i = 0; i < 20; i++) JpegDecoder.Decode(data, options);
    // Best batch of ~50 ms: the machine is shared, and the minimum is the least disturbed measurement.
    var total = Stopwatch.StartNew();
    double perDecode = double.MaxValue;
    int n = 0;
    while (total.Elapsed.TotalSeconds < seconds)
    {
        var sw = Stopwatch.StartNew();
        int k = 0;
        while (sw.ElapsedMilliseconds < 50)
        {
            JpegDecoder.Decode(data, options);
            k++;
        }
        perDecode = Math.Min(perDecode, sw.Elapsed.TotalSeconds / k);
        n += k;
    }
    double mp = (double)frame.Width * frame.Height / 1e6;
    Console.WriteLine($"{Path.GetFileName(file)}: {frame.Width}x{frame.Height} {frame.Mode} 1/{scale}: " +
                      $"{perDecode * 1e3:F2} ms/decode, {mp / perDecode:F1} MP/s ({n} decodes)");
}
return 0;
