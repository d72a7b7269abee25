using System.Globalization;
using ClipSharp.Imaging.Tests;
using ClipSharp.Tests;

namespace ClipSharp.Fuzz;

/// <summary>
/// `fuzz hostile --out DIR`: writes the hostile inputs of issues 17 and 19 for process-level runs of the CLI
/// (bench/hostile/run.sh): DIR/images/ holds <see cref="Measure.WorstCases"/> (the image bombs and the
/// worst ~1 MB files the decode budget lets through) and <see cref="UploadWorstCases"/>, DIR/checkpoints/ the hostile-checkpoint set of the tests
/// (<see cref="HostileCheckpoints"/>), and DIR/manifest.tsv lists kind, file, bytes and what a refusal must say.
/// Both sets are built by the same generators the tests use, so nothing here is a copy.
/// </summary>
internal static class HostileSet
{
    /// <summary>
    /// About 1 MB files near what <see cref="Imaging.ImageDecodeLimits.Upload"/> (16 MiB + 64 B per input byte)
    /// still decodes, so `serve` is measured on an upload it accepts and embeds, not only on refusals.
    /// </summary>
    public static IEnumerable<(string Name, byte[] Bytes)> UploadWorstCases()
    {
        yield return ("upload_png_rgb_4800.png", Measure.PadPng(ImageBombs.Png(4800, 4800, 2, 4800)));
        yield return ("upload_png_rgba_4000_interlaced.png", Measure.PadPng(ImageBombs.Png(4000, 4000, 6, 4000, interlaced: true)));
        yield return ("upload_jpeg_baseline_rgb_3500.jpg", Measure.PadJpeg(ImageBombs.BaselineJpeg(3500, 3500, 3, scanBytes: 500_000)));
        yield return ("upload_jpeg_progressive_rgb_2500.jpg", Measure.PadJpeg(ImageBombs.ProgressiveJpeg(2500, 2500, 20, components: 3)));
    }

    public static int Write(string outDir)
    {
        string images = Path.Combine(outDir, "images"), checkpoints = Path.Combine(outDir, "checkpoints");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(checkpoints);
        using var manifest = new StreamWriter(Path.Combine(outDir, "manifest.tsv"));
        manifest.WriteLine("kind\tfile\tbytes\texpect");
        foreach (var (name, bytes) in Measure.WorstCases().Concat(UploadWorstCases()))
        {
            var path = Path.Combine(images, name);
            File.WriteAllBytes(path, bytes);
            manifest.WriteLine(string.Create(CultureInfo.InvariantCulture, $"image\t{path}\t{bytes.Length}\t"));
        }
        foreach (var (c, path) in HostileCheckpoints.WriteAll(checkpoints))
            manifest.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint\t{path}\t{new FileInfo(path).Length}\t{c.Expect}"));
        Console.WriteLine($"wrote {Measure.WorstCases().Count() + UploadWorstCases().Count()} images and {HostileCheckpoints.All.Count} checkpoints under {outDir}");
        return 0;
    }
}
