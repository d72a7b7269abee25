using ClipSharp.Imaging.Conversion;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Imaging.Preprocessing;

/// <summary>
/// SigLIP 2 NaFlex preprocessing (the Pillow-based Siglip2ImageProcessor): resize each image, keeping
/// roughly its aspect ratio, to the largest multiple-of-P size whose patch count fits
/// <see cref="MaxNumPatches"/>; rescale by 1/255 (in double, then float32) and normalise with mean/std;
/// cut into P × P patches in (row, column, channel) order.
/// </summary>
public sealed class NaFlexPreprocessor
{
    public int PatchSize { get; }
    public int MaxNumPatches { get; }
    public ResampleFilter Filter { get; }
    private readonly float[] _lut = new float[3 * 256];

    public NaFlexPreprocessor(int patchSize, int maxNumPatches, IReadOnlyList<float> mean, IReadOnlyList<float> std, ResampleFilter filter = ResampleFilter.Bilinear)
    {
        if (patchSize <= 0) throw new ArgumentException($"patch_size must be positive, got {patchSize}");
        if (maxNumPatches <= 0) throw new ArgumentException($"max_num_patches must be positive, got {maxNumPatches}");
        if (mean.Count != 3 || std.Count != 3) throw new ArgumentException("mean and std need 3 values");
        (PatchSize, MaxNumPatches, Filter) = (patchSize, maxNumPatches, filter);
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++)
                _lut[c * 256 + v] = ((float)(v * (1.0 / 255.0)) - mean[c]) / std[c];
    }

    /// <summary>Reads a Hugging Face Siglip2ImageProcessor <c>preprocessor_config.json</c> (patch_size, max_num_patches, resample, image_mean, image_std).</summary>
    /// <exception cref="InvalidDataException">Not valid JSON, or a value this preprocessor cannot honour (the message names the file and key).</exception>
    public static NaFlexPreprocessor FromHuggingFace(string preprocessorConfigJsonPath)
    {
        System.Text.Json.JsonDocument doc;
        try { doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(preprocessorConfigJsonPath)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{preprocessorConfigJsonPath}: not valid JSON ({e.Message})", e); }
        using (doc) return HuggingFaceConfigReader.ReadNaFlex(doc.RootElement, preprocessorConfigJsonPath);
    }

    /// <summary>
    /// The target (height, width) for an image: the binary search over a scale in [eps/10, 100] of
    /// get_image_size_for_max_num_patches (eps 1e-5), each side ceil(side·scale / P)·P, at least P.
    /// </summary>
    public static (int Height, int Width) TargetSize(int height, int width, int patchSize, int maxNumPatches, double eps = 1e-5)
    {
        int Scaled(double scale, int size) => Math.Max(patchSize, (int)Math.Ceiling(size * scale / patchSize) * patchSize);
        double lo = eps / 10, hi = 100.0;
        while (hi - lo >= eps)
        {
            double scale = (lo + hi) / 2;
            double patches = (Scaled(scale, height) / (double)patchSize) * (Scaled(scale, width) / (double)patchSize);
            if (patches <= maxNumPatches) lo = scale; else hi = scale;
        }
        return (Scaled(lo, height), Scaled(lo, width));
    }

    /// <summary>One image → (patches (h·w · 3P², row-major), h, w) with h, w in patches.</summary>
    public (float[] Patches, int GridHeight, int GridWidth) Preprocess(ImageFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame = RgbConverter.ToRgb(frame);
        var (th, tw) = TargetSize(frame.Height, frame.Width, PatchSize, MaxNumPatches);
        var resized = RgbConverter.ToRgb(Resampler.Resize(frame, tw, th, Filter)).Pixels;
        int p = PatchSize, gh = th / p, gw = tw / p, k = 3 * p * p;
        var patches = new float[gh * gw * k];
        for (int gy = 0; gy < gh; gy++)
            for (int gx = 0; gx < gw; gx++)
            {
                int o = (gy * gw + gx) * k;
                for (int ky = 0; ky < p; ky++)
                    for (int kx = 0; kx < p; kx++)
                    {
                        int src = ((gy * p + ky) * tw + gx * p + kx) * 3;
                        for (int c = 0; c < 3; c++) patches[o++] = _lut[c * 256 + resized[src + c]];
                    }
            }
        return (patches, gh, gw);
    }
}
