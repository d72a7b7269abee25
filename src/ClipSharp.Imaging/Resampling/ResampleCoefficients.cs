namespace ClipSharp.Imaging.Resampling;

/// <summary>
/// The per-output-pixel filter windows of one resampling axis, computed as Pillow's
/// <c>precompute_coeffs</c> does: for output index i, center = in0 + (i + 0.5)·scale with
/// scale = (in1 − in0) / outSize; filterscale = max(scale, 1); support = radius · filterscale;
/// the window is [trunc(center − support + 0.5), trunc(center + support + 0.5)) clipped to the input;
/// weight j = K((j + min − center + 0.5) / filterscale), then divided by the window's weight sum.
/// </summary>
internal sealed class ResampleCoefficients
{
    /// <summary>Fixed-point fraction bits for 8-bit images: 32 − 8 − 2 = 22.</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Stride of <see cref="Weights"/> and <see cref="FixedWeights"/> per output index.</summary>
    public int KernelSize { get; }

    /// <summary>Per output index: the first input index of its window.</summary>
    public int[] Start { get; }

    /// <summary>Per output index: the number of input pixels in its window.</summary>
    public int[] Count { get; }

    /// <summary>Normalised weights, <see cref="KernelSize"/> per output index (unused tail entries are 0).</summary>
    public double[] Weights { get; }

    /// <summary>
    /// Weights in fixed point for 8-bit images: trunc(w·2^22 + 0.5) for w ≥ 0, trunc(w·2^22 − 0.5) for w &lt; 0.
    /// </summary>
    public int[] FixedWeights { get; }

    public ResampleCoefficients(int inSize, float in0, float in1, int outSize, ResampleFilter filter)
    {
        double radius = FilterKernels.Support(filter);
        double scale = (double)(in1 - in0) / outSize;
        double filterScale = Math.Max(scale, 1.0);
        double support = radius * filterScale;
        KernelSize = (int)Math.Ceiling(support) * 2 + 1;
        if ((long)outSize * KernelSize > int.MaxValue / 8)
            throw new ArgumentOutOfRangeException(nameof(outSize), $"resampling {inSize} → {outSize} needs too many coefficients");

        Start = new int[outSize];
        Count = new int[outSize];
        Weights = new double[outSize * KernelSize];
        FixedWeights = new int[outSize * KernelSize];
        double ss = 1.0 / filterScale;
        for (int i = 0; i < outSize; i++)
        {
            double center = in0 + (i + 0.5) * scale;
            int min = (int)(center - support + 0.5);
            if (min < 0) min = 0;
            int max = (int)(center + support + 0.5);
            if (max > inSize) max = inSize;
            int n = Math.Max(max - min, 0);
            var k = Weights.AsSpan(i * KernelSize, KernelSize);
            double sum = 0.0;
            for (int j = 0; j < n; j++)
            {
                double w = FilterKernels.Evaluate(filter, (j + min - center + 0.5) * ss);
                k[j] = w;
                sum += w;
            }
            for (int j = 0; j < n; j++)
                if (sum != 0.0) k[j] /= sum;
            Start[i] = min;
            Count[i] = n;
            for (int j = 0; j < KernelSize; j++)
            {
                double v = k[j] * (1 << PrecisionBits);
                FixedWeights[i * KernelSize + j] = k[j] < 0 ? (int)(-0.5 + v) : (int)(0.5 + v);
            }
        }
    }
}
