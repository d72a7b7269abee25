using ClipSharp.Imaging;
using ClipSharp.Imaging.Conversion;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Training;

/// <summary>
/// Training-time image augmentation: a random resized crop (a box covering a random fraction of the
/// image's area in [<see cref="MinScale"/>, <see cref="MaxScale"/>], aspect ratio log-uniform in
/// [3/4, 4/3], resized bicubically to the model's square input) and an optional horizontal flip.
/// Every random choice comes from the sample's own seed, so a run (and a resumed run) is reproducible
/// whatever thread decodes the sample.
/// </summary>
public sealed record ImageAugmentation(double MinScale = 0.9, double MaxScale = 1.0, bool HorizontalFlip = false)
{
    private const double MinRatio = 3.0 / 4.0, MaxRatio = 4.0 / 3.0;

    /// <summary>Parses "rrc", "rrc:0.5", "rrc:0.5,flip" or "flip" (the CLI's --augment).</summary>
    public static ImageAugmentation? Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec) || spec == "none") return null;
        double min = 1.0;
        bool flip = false;
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "flip") flip = true;
            else if (part == "rrc") min = 0.9;
            else if (part.StartsWith("rrc:", StringComparison.Ordinal)
                     && double.TryParse(part[4..], System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0 && s <= 1) min = s;
            else throw new ArgumentException($"--augment: '{part}' is not one of none, flip, rrc, rrc:MIN_SCALE (0 < MIN_SCALE ≤ 1)");
        }
        return new ImageAugmentation(min, 1.0, flip);
    }

    /// <summary>
    /// The augmented RGB image for one sample: <paramref name="size"/> × <paramref name="size"/> when
    /// cropping (MinScale &lt; 1), else the image at its own size (flipped or not) for the preprocessor.
    /// </summary>
    public ImageFrame Apply(ImageFrame frame, int size, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var rgb = RgbConverter.ToRgb(frame);
        var rng = new SplitMix(seed);
        ImageFrame result;
        if (MinScale < 1)
        {
            var (x, y, w, h) = CropBox(rgb.Width, rgb.Height, ref rng);
            result = Resampler.Resize(Resampler.Crop(rgb, x, y, w, h), size, size, ResampleFilter.Bicubic);
        }
        else result = Resampler.Crop(rgb, 0, 0, rgb.Width, rgb.Height);   // a copy we may flip in place
        if (HorizontalFlip && (rng.Next() & 1) == 1) Mirror(result);
        return result;
    }

    /// <summary>
    /// Up to ten tries at a box of random area and aspect that fits; otherwise the largest centred box
    /// whose aspect lies in the allowed range.
    /// </summary>
    private (int X, int Y, int W, int H) CropBox(int width, int height, ref SplitMix rng)
    {
        double area = (double)width * height;
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * (MinScale + (MaxScale - MinScale) * rng.NextDouble());
            double ratio = Math.Exp(Math.Log(MinRatio) + (Math.Log(MaxRatio) - Math.Log(MinRatio)) * rng.NextDouble());
            int w = (int)Math.Round(Math.Sqrt(target * ratio)), h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w < 1 || h < 1 || w > width || h > height) continue;
            int x = (int)(rng.Next() % (ulong)(width - w + 1)), y = (int)(rng.Next() % (ulong)(height - h + 1));
            return (x, y, w, h);
        }
        double aspect = (double)width / height;
        var (cw, ch) = aspect < MinRatio ? (width, (int)Math.Round(width / MinRatio))
            : aspect > MaxRatio ? ((int)Math.Round(height * MaxRatio), height)
            : (width, height);
        cw = Math.Clamp(cw, 1, width);
        ch = Math.Clamp(ch, 1, height);
        return ((width - cw) / 2, (height - ch) / 2, cw, ch);
    }

    private static void Mirror(ImageFrame frame)
    {
        int w = frame.Width, bpp = frame.BytesPerPixel;
        for (int y = 0; y < frame.Height; y++)
        {
            var row = frame.Pixels.AsSpan(y * w * bpp, w * bpp);
            for (int a = 0, b = w - 1; a < b; a++, b--)
                for (int c = 0; c < bpp; c++) (row[a * bpp + c], row[b * bpp + c]) = (row[b * bpp + c], row[a * bpp + c]);
        }
    }

    /// <summary>SplitMix64: a tiny seeded stream (the sample's seed is already mixed).</summary>
    private struct SplitMix(ulong state)
    {
        public ulong Next()
        {
            state += 0x9E3779B97F4A7C15UL;
            return DataOrder.Mix(state);
        }

        public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
    }
}
