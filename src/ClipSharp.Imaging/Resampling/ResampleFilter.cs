namespace ClipSharp.Imaging.Resampling;

/// <summary>Pillow's resampling filters (same numbering as <c>PIL.Image.Resampling</c>).</summary>
public enum ResampleFilter
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}

/// <summary>The continuous filter kernels of Pillow's Resample.c and their support radii.</summary>
internal static class FilterKernels
{
    /// <summary>Support radius in input pixels at scale 1 (widened by the downscale factor when reducing).</summary>
    public static double Support(ResampleFilter f) => f switch
    {
        ResampleFilter.Box => 0.5,
        ResampleFilter.Bilinear or ResampleFilter.Hamming => 1.0,
        ResampleFilter.Bicubic => 2.0,
        ResampleFilter.Lanczos => 3.0,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "no convolution kernel for this filter"),
    };

    /// <summary>Evaluates the kernel at <paramref name="x"/> with the exact operation order Pillow uses.</summary>
    public static double Evaluate(ResampleFilter f, double x) => f switch
    {
        ResampleFilter.Box => x > -0.5 && x <= 0.5 ? 1.0 : 0.0,
        ResampleFilter.Bilinear => Bilinear(x),
        ResampleFilter.Hamming => Hamming(x),
        ResampleFilter.Bicubic => Bicubic(x),
        ResampleFilter.Lanczos => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, null),
    };

    private static double Bilinear(double x)
    {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    /// <summary>Keys' cubic convolution with a = −0.5: (a+2)|x|³ − (a+3)|x|² + 1 on [0,1), a(|x|³ − 5|x|² + 8|x| − 4) on [1,2).</summary>
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Hamming(double x)
    {
        if (x < 0.0) x = -x;
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        return Math.Sin(x) / x * ((double)0.54f + (double)0.46f * Math.Cos(x));
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
