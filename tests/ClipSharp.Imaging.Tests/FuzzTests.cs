using ClipSharp.Testing;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// Corrupt input must end in a decoded frame or an <see cref="InvalidDataException"/> — never another
/// exception type and never a hang. Truncates at many lengths and flips bytes with a fixed seed.
/// </summary>
public class FuzzTests
{
    public static IEnumerable<object[]> Files() =>
    [
        ["images/png_c3_d4_i.png"], ["images/png_c0_d16.png"], ["images/png_c6_d16_i.png"], ["images/png_c2_d8.png"],
        ["images/bmp_rle4.bmp"], ["images/bmp_rle8.bmp"], ["images/bmp_32bit_bitfields_bgra.bmp"], ["images/bmp_1bit_bw.bmp"],
        ["images/bmp_16bit_565.bmp"], ["images/bmp_8bit_os2.bmp"],
        ["images/gif_local_interlaced.gif"], ["images/gif_big_noise.gif"], ["images/gif_offset_transparent.gif"],
    ];

    [Theory]
    [MemberData(nameof(Files))]
    public void TruncatedAndFlipped_OnlyInvalidData(string name)
    {
        var original = System.IO.File.ReadAllBytes(TestData.File(name));
        int step = Math.Max(1, original.Length / 150);
        for (int len = 0; len < original.Length; len += step)
            Check(original.AsSpan(0, len).ToArray(), $"{name} truncated to {len}");

        var rng = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            var bytes = (byte[])original.Clone();
            int flips = 1 + rng.Next(4);
            for (int f = 0; f < flips; f++)
            {
                // Mostly hit the headers, where the structure lives.
                int at = rng.Next(2) == 0 ? rng.Next(Math.Min(bytes.Length, 80)) : rng.Next(bytes.Length);
                bytes[at] = rng.Next(3) == 0 ? (byte)0xFF : (byte)rng.Next(256);
            }
            Check(bytes, $"{name} trial {trial}");
        }
    }

    [Fact]
    public void FixtureImages_TruncatedAndFlipped_OnlyInvalidData()
    {
        var dir = Fixtures.Path("vit-tiny", "images");
        var rng = new Random(99);
        foreach (var path in Directory.GetFiles(dir).Where(p => !p.EndsWith(".jpg")).Order())
        {
            var original = System.IO.File.ReadAllBytes(path);
            foreach (var frac in new[] { 0.01, 0.3, 0.77, 0.999 })
                Check(original.AsSpan(0, (int)(original.Length * frac)).ToArray(), $"{path} truncated at {frac}");
            for (int trial = 0; trial < 6; trial++)
            {
                var bytes = (byte[])original.Clone();
                bytes[rng.Next(Math.Min(bytes.Length, 200))] ^= (byte)(1 << rng.Next(8));
                Check(bytes, $"{path} flip trial {trial}");
            }
        }
    }

    private static void Check(byte[] bytes, string what)
    {
        var task = Task.Run(() =>
        {
            try
            {
                var frame = ImageDecoder.Decode(bytes, what);
                Assert.Equal((long)frame.Width * frame.Height * frame.BytesPerPixel, frame.Pixels.Length);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(what + ": ", e.Message);
            }
        });
        try
        {
            if (!task.Wait(TimeSpan.FromSeconds(20)))
                Assert.Fail($"{what}: decoder did not finish within 20 s");
        }
        catch (AggregateException agg)
        {
            var inner = agg.InnerException!;
            Assert.Fail($"{what}: unexpected {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
        }
    }
}
