using System.Diagnostics;
using ClipSharp.Imaging.Jpeg;

/// <summary>Times the decoder's kernels on synthetic data: IDCT per block, YCbCr→RGB and fancy upsampling per pixel.</summary>
internal static class Stages
{
    public static void Run()
    {
        var rng = new Random(1);
        const int blocks = 4096;
        var coef = new short[blocks * 64];
        for (int i = 0; i < coef.Length; i++) coef[i] = (short)((i % 64) < 10 ? rng.Next(-60, 60) : (rng.Next(8) == 0 ? rng.Next(-3, 4) : 0));
        var quant = new short[64];
        for (int i = 0; i < 64; i++) quant[i] = (short)(2 + i / 4);
        var plane = new byte[blocks * 64];
        Time("IDCT 8x8 (ns/block)", blocks, () =>
        {
            for (int b = 0; b < blocks; b++)
                Idct.Transform(8, coef.AsSpan(b * 64, 64), quant, plane.AsSpan(b * 8), blocks * 8);
        });
        int w = 4096;
        var y = new byte[w]; var cb = new byte[w]; var cr = new byte[w]; var rgb = new byte[3 * w];
        rng.NextBytes(y); rng.NextBytes(cb); rng.NextBytes(cr);
        Time("YCbCr->RGB (ns/pixel)", w, () => ColorConverter.YccToRgb(y, cb, cr, rgb));
        var colSum = new int[w / 2];
        var outRow = new byte[w];
        Time("h2v2 fancy (ns/output pixel)", w, () => Upsampler.H2V2Fancy(y.AsSpan(0, w / 2), cb.AsSpan(0, w / 2), colSum, outRow));
    }

    private static void Time(string name, int units, Action a)
    {
        for (int i = 0; i < 50; i++) a();
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (sw.ElapsedMilliseconds < 1000) { a(); n++; }
        Console.WriteLine($"{name}: {sw.Elapsed.TotalNanoseconds / n / units:F2}");
    }
}
