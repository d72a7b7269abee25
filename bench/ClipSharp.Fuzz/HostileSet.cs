using System.Globalization;
using ClipSharp.Tests;

namespace ClipSharp.Fuzz;

/// <summary>
/// `fuzz hostile --out DIR`: writes the hostile inputs of issues 17 and 19 for process-level runs of the CLI
/// (bench/hostile/run.sh): DIR/images/ holds <see cref="Measure.WorstCases"/> (the image bombs and the
/// worst ~1 MB files the decode budget lets through), DIR/checkpoints/ the hostile-checkpoint set of the tests
/// (<see cref="HostileCheckpoints"/>), and DIR/manifest.tsv lists kind, file, bytes and what a refusal must say.
/// Both sets are built by the same generators the tests use, so nothing here is a copy.
/// </summary>
internal static class HostileSet
{
    public static int Write(string outDir)
    {
        string images = Path.Combine(outDir, "images"), checkpoints = Path.Combine(outDir, "checkpoints");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(checkpoints);
        using var manifest = new StreamWriter(Path.Combine(outDir, "manifest.tsv"));
        manifest.WriteLine("kind\tfile\tbytes\texpect");
        foreach (var (name, bytes) in Measure.WorstCases())
        {
            var path = Path.Combine(images, name);
            File.WriteAllBytes(path, bytes);
            manifest.WriteLine(string.Create(CultureInfo.InvariantCulture, $"image\t{path}\t{bytes.Length}\t"));
        }
        foreach (var (c, path) in HostileCheckpoints.WriteAll(checkpoints))
            manifest.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint\t{path}\t{new FileInfo(path).Length}\t{c.Expect}"));
        Console.WriteLine($"wrote {Measure.WorstCases().Count()} images and {HostileCheckpoints.All.Count} checkpoints under {outDir}");
        return 0;
    }
}
