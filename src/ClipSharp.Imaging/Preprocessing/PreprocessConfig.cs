using System.Text.Json;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Imaging.Preprocessing;

/// <summary>How the image is brought to the model's input size before cropping.</summary>
public enum ResizeMode
{
    /// <summary>Shorter side → Size, longer side → trunc(Size · long / short) (torchvision <c>Resize(int)</c>); then center crop.</summary>
    Shortest,
    /// <summary>Longer side → Size keeping the aspect ratio (open_clip <c>ResizeKeepRatio(longest=1)</c>); then center crop or pad with zeros.</summary>
    Longest,
    /// <summary>Both sides → Size, ignoring the aspect ratio (open_clip "squash").</summary>
    Squash,
}

/// <summary>
/// Whose arithmetic the pipeline reproduces where the references differ.
/// </summary>
public enum PipelineConvention
{
    /// <summary>
    /// OpenAI CLIP / torchvision: resize, CenterCrop with offset round((d − c) / 2) (half to even), padding
    /// (c − d) // 2 before, convert to RGB after the crop, x / 255 and (x − mean) / std in float32.
    /// </summary>
    Torchvision,
    /// <summary>As <see cref="Torchvision"/> but open_clip's CenterCropOrPad offset trunc((d − c + 1) · 0.5).</summary>
    OpenClip,
    /// <summary>
    /// Hugging Face CLIPImageProcessor: convert to RGB first, crop offset (d − c) // 2, padding
    /// ceil((c − d) / 2) before, rescale as float32(x · (1/255) in double), then (x − mean) / std in float32.
    /// </summary>
    HuggingFace,
}

/// <summary>
/// A validated description of CLIP image preprocessing: resize (bicubic by default), center crop to
/// <see cref="CropSize"/>, convert to RGB, scale to [0, 1] and normalise per channel. The defaults are
/// OpenAI CLIP's (mean 0.48145466, 0.4578275, 0.40821073; std 0.26862954, 0.26130258, 0.27577711).
/// </summary>
public sealed record PreprocessConfig
{
    /// <summary>OpenAI CLIP's per-channel mean.</summary>
    public static IReadOnlyList<float> ClipMean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>OpenAI CLIP's per-channel standard deviation.</summary>
    public static IReadOnlyList<float> ClipStd { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>Resize target: the short side (Shortest), the long side (Longest) or both sides (Squash).</summary>
    public int Size { get; }

    /// <summary>Side of the square output (center crop, or pad, to this).</summary>
    public int CropSize { get; }

    /// <summary>Per-channel mean (R, G, B) as float32, subtracted after scaling to [0, 1].</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel standard deviation (R, G, B) as float32, divided by after subtracting the mean.</summary>
    public IReadOnlyList<float> Std { get; }

    public ResizeMode ResizeMode { get; }

    /// <summary>Resampling filter: Bicubic (CLIP) or Bilinear; Pillow applies nearest for "P" and "1" images regardless.</summary>
    public ResampleFilter Interpolation { get; }

    public PipelineConvention Convention { get; }

    /// <exception cref="ArgumentException">A size is not positive, mean/std do not have 3 finite entries, or a std is 0.</exception>
    public PreprocessConfig(int size, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null,
        ResizeMode resizeMode = ResizeMode.Shortest, ResampleFilter interpolation = ResampleFilter.Bicubic,
        int? cropSize = null, PipelineConvention convention = PipelineConvention.Torchvision)
    {
        if (size <= 0) throw new ArgumentException($"preprocess size must be positive, got {size}", nameof(size));
        int crop = cropSize ?? size;
        if (crop <= 0) throw new ArgumentException($"crop size must be positive, got {crop}", nameof(cropSize));
        mean ??= ClipMean;
        std ??= ClipStd;
        if (mean.Count != 3 || mean.Any(v => !float.IsFinite(v)))
            throw new ArgumentException($"mean needs 3 finite values, got [{string.Join(", ", mean)}]", nameof(mean));
        if (std.Count != 3 || std.Any(v => !float.IsFinite(v) || v == 0f))
            throw new ArgumentException($"std needs 3 finite non-zero values, got [{string.Join(", ", std)}]", nameof(std));
        if (!Enum.IsDefined(interpolation))
            throw new ArgumentException($"unknown interpolation {interpolation}", nameof(interpolation));
        Size = size;
        CropSize = crop;
        Mean = mean.ToArray();
        Std = std.ToArray();
        ResizeMode = resizeMode;
        Interpolation = interpolation;
        Convention = convention;
    }

    /// <summary>OpenAI CLIP's transform for an R×R model: Resize(R, bicubic), CenterCrop(R), RGB, ToTensor, Normalize.</summary>
    public static PreprocessConfig Clip(int size) => new(size);

    /// <summary>
    /// open_clip's eval transform from its preprocess_cfg values: <paramref name="interpolation"/> "bicubic" or
    /// "bilinear", <paramref name="resizeMode"/> "shortest", "longest" or "squash".
    /// </summary>
    public static PreprocessConfig FromOpenClip(int imageSize, IReadOnlyList<double>? mean = null, IReadOnlyList<double>? std = null,
        string interpolation = "bicubic", string resizeMode = "shortest")
    {
        var filter = interpolation switch
        {
            "bicubic" => ResampleFilter.Bicubic,
            "bilinear" => ResampleFilter.Bilinear,
            "nearest" => ResampleFilter.Nearest,
            _ => throw new ArgumentException($"open_clip interpolation '{interpolation}' is not supported (bicubic, bilinear, nearest)", nameof(interpolation)),
        };
        var mode = resizeMode switch
        {
            "shortest" => ResizeMode.Shortest,
            "longest" => ResizeMode.Longest,
            "squash" => ResizeMode.Squash,
            _ => throw new ArgumentException($"open_clip resize_mode '{resizeMode}' is not supported (shortest, longest, squash)", nameof(resizeMode)),
        };
        return new PreprocessConfig(imageSize, mean?.Select(v => (float)v).ToArray(), std?.Select(v => (float)v).ToArray(),
            mode, filter, imageSize, mode == ResizeMode.Longest ? PipelineConvention.OpenClip : PipelineConvention.Torchvision);
    }

    /// <summary>
    /// Reads a Hugging Face <c>preprocessor_config.json</c> (CLIPImageProcessor): size (int, {shortest_edge} or
    /// {height, width}), crop_size, resample (PIL numbering), image_mean, image_std, do_normalize, do_center_crop.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or holds values this pipeline cannot honour (the message names the file and key).</exception>
    public static PreprocessConfig FromHuggingFace(string preprocessorConfigJsonPath)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(preprocessorConfigJsonPath));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{preprocessorConfigJsonPath}: not valid JSON ({e.Message})", e);
        }
        using (doc) return HuggingFaceConfigReader.Read(doc.RootElement, preprocessorConfigJsonPath);
    }
}
