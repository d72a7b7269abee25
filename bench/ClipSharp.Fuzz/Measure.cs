using System.Buffers.Binary;
using System.Diagnostics;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Tests;

namespace ClipSharp.Fuzz;

/// <summary>
/// The bar of issue #19 for images: no input of 1 MB or less may take a decode past 300 MB RSS or 2 s of
/// CPU. Builds the worst files this decoder's budget lets through at about 1 MB (each padded with ignored
/// chunks, comments or extensions so the budget, which grows with the input's size, is at its largest),
/// decodes each in a fresh process and prints that process's CPU time and peak RSS.
/// </summary>
internal static class Measure
{
    public static IEnumerable<(string Name, byte[] Bytes)> WorstCases()
    {
        // The reproductions of issue #19 item 5.
        yield return ("issue19_jpeg_13000.jpg", ImageBombs.BaselineJpeg(13000, 13000));
        yield return ("issue19_jpeg_progressive_13000.jpg", ImageBombs.ProgressiveJpeg(13000, 13000, 0, components: 3)[..400]);
        yield return ("issue19_jpeg_2000_scans.jpg", ImageBombs.ProgressiveJpeg(2048, 2048, 2000));
        yield return ("issue19_png_13000.png", ImageBombs.Png(13000, 13000, 6, 1));
        yield return ("issue19_bmp_rle8_13000.bmp", ImageBombs.Rle8Bmp(13000, 13000, 8));
        yield return ("issue19_gif_65535x2730.gif", ImageBombs.Gif(65535, 2730));
        // The worst this budget (48 MiB + 112 B per input byte) lets through at about 1 MB.
        yield return ("png_rgba_6250_interlaced.png", PadPng(ImageBombs.Png(6250, 6250, 6, 6250, interlaced: true)));
        yield return ("png_rgb_7000.png", PadPng(ImageBombs.Png(7000, 7000, 2, 7000)));
        yield return ("jpeg_progressive_grey_5100_40_scans.jpg", PadJpeg(ImageBombs.ProgressiveJpeg(5100, 5100, 40)));
        yield return ("jpeg_progressive_rgb_3600.jpg", PadJpeg(ImageBombs.ProgressiveJpeg(3600, 3600, 20, components: 3)));
        yield return ("jpeg_baseline_rgb_5100.jpg", PadJpeg(ImageBombs.BaselineJpeg(5100, 5100, 3, scanBytes: 500_000)));
        // What the earlier budget (160 B per input byte) let through: refused now.
        yield return ("png_rgba_7100_interlaced.png", PadPng(ImageBombs.Png(7100, 7100, 6, 7100, interlaced: true)));
        yield return ("png_rgb_8000.png", PadPng(ImageBombs.Png(8000, 8000, 2, 8000)));
        yield return ("jpeg_progressive_grey_7000_many_scans.jpg", PadJpeg(ImageBombs.ProgressiveJpeg(7000, 7000, 200)));
        yield return ("jpeg_progressive_rgb_4000.jpg", PadJpeg(ImageBombs.ProgressiveJpeg(4000, 4000, 20, components: 3)));
        yield return ("jpeg_baseline_rgb_5800.jpg", PadJpeg(ImageBombs.BaselineJpeg(5800, 5800, 3, scanBytes: 500_000)));
        yield return ("jpeg_baseline_13000_cut.jpg", ImageBombs.BaselineJpeg(13000, 13000, 1, scanBytes: 1_000_000));
        yield return ("gif_65535x2700.gif", PadGif(ImageBombs.Gif(65535, 2700)));
        yield return ("bmp_rle8_13000.bmp", ImageBombs.Rle8Bmp(13000, 13000, 500_000));
    }

    public static int Run(string outDir)
    {
        Directory.CreateDirectory(outDir);
        Console.WriteLine("file\tbytes\toutcome\tcpu_s\tpeak_rss_mib");
        foreach (var (name, bytes) in WorstCases())
        {
            var path = Path.Combine(outDir, name);
            File.WriteAllBytes(path, bytes);
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(Measure).Assembly.Location);
            psi.ArgumentList.Add("decode");
            psi.ArgumentList.Add("--file");
            psi.ArgumentList.Add(path);
            using var p = Process.Start(psi)!;
            string line = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            Console.WriteLine($"{name}\t{bytes.Length}\t{line}");
        }
        return 0;
    }

    /// <summary>Decodes one file in this process and prints outcome, process CPU seconds and peak RSS.</summary>
    public static int DecodeOne(string path)
    {
        var bytes = File.ReadAllBytes(path);
        string outcome;
        try
        {
            var f = ImageDecoder.Decode(bytes, Path.GetFileName(path));
            outcome = $"decoded {f.Width}x{f.Height} {f.Mode}";
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException)
        {
            outcome = "refused: " + e.Message.Split('\n')[0];
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        Console.WriteLine($"{outcome}\t{cpu:F2}\t{ThreadUsage.PeakRssMib():F0}");
        return 0;
    }

    private const int Target = 1_000_000;

    internal static byte[] PadPng(byte[] png)
    {
        int pad = Target - png.Length - 12;
        if (pad <= 0) return png;
        var chunk = new byte[12 + pad];
        BinaryPrimitives.WriteInt32BigEndian(chunk, pad);
        "zzPd"u8.CopyTo(chunk.AsSpan(4));
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + pad), Crc32.Of(chunk.AsSpan(4, 4 + pad)));
        // After IHDR (8 + 25 bytes), where an ancillary chunk is allowed.
        return [.. png.AsSpan(0, 33), .. chunk, .. png.AsSpan(33)];
    }

    internal static byte[] PadJpeg(byte[] jpeg)
    {
        var pad = new List<byte>();
        while (jpeg.Length + pad.Count + 65537 < Target) { pad.AddRange([0xFF, 0xFE, 0xFF, 0xFF]); pad.AddRange(new byte[65533]); }
        return [.. jpeg.AsSpan(0, 2), .. pad, .. jpeg.AsSpan(2)];
    }

    private static byte[] PadGif(byte[] gif)
    {
        // A comment extension of 255-byte sub-blocks before the image descriptor (at byte 19).
        var ext = new List<byte> { 0x21, 0xFE };
        while (gif.Length + ext.Count + 257 < Target) { ext.Add(255); ext.AddRange(new byte[255]); }
        ext.Add(0);
        return [.. gif.AsSpan(0, 19), .. ext, .. gif.AsSpan(19)];
    }
}
