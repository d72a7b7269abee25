using ClipSharp.Imaging.Jpeg;

namespace ClipSharp.Imaging.Tests;

/// <summary>Every pixel of every reference decode (full size and Pillow draft scales) must match exactly.</summary>
public class JpegReferenceTests
{
    public static TheoryData<JpegReferenceEntry> Entries()
    {
        var data = new TheoryData<JpegReferenceEntry>();
        foreach (var e in JpegReferenceEntry.All) data.Add(e);
        return data;
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void DecodesLikePillow(JpegReferenceEntry entry)
    {
        byte[] file = File.ReadAllBytes(entry.Path);
        var frame = JpegDecoder.Decode(file, new JpegDecodeOptions { ScaleDenominator = entry.Scale });
        var expectedMode = entry.Mode switch { "L" => PixelMode.L, "RGB" => PixelMode.Rgb, _ => PixelMode.Cmyk };
        Assert.Equal(expectedMode, frame.Mode);
        Assert.Equal((entry.Width, entry.Height), (frame.Width, frame.Height));
        Assert.Equal(entry.Orientation, frame.ExifOrientation);
        AssertPixelsEqual(entry.LoadPixels(), frame.Pixels, entry.Width, entry.BytesPerPixel);
    }

    internal static void AssertPixelsEqual(byte[] expected, byte[] actual, int width, int bpp)
    {
        Assert.Equal(expected.Length, actual.Length);
        int maxDiff = 0, differing = 0, first = -1;
        for (int i = 0; i < expected.Length; i += bpp)
        {
            bool differs = false;
            for (int k = 0; k < bpp; k++)
            {
                int d = Math.Abs(expected[i + k] - actual[i + k]);
                if (d == 0) continue;
                differs = true;
                maxDiff = Math.Max(maxDiff, d);
            }
            if (!differs) continue;
            differing++;
            if (first < 0) first = i / bpp;
        }
        Assert.True(differing == 0,
            $"{differing} of {expected.Length / bpp} pixels differ, max abs diff {maxDiff}, first at (x={first % width}, y={first / width})");
    }
}
