using System.Text.Json;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Imaging.Preprocessing;

/// <summary>Maps the keys of a Hugging Face CLIPImageProcessor config onto <see cref="PreprocessConfig"/>.</summary>
internal static class HuggingFaceConfigReader
{
    public static PreprocessConfig Read(JsonElement root, string path)
    {
        try
        {
            return ReadCore(root, path);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: malformed preprocessor config ({e.Message})", e);
        }
    }

    private static PreprocessConfig ReadCore(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
        if (!Bool(root, "do_resize", true)) throw new InvalidDataException($"{path}: do_resize=false is not supported");
        if (!Bool(root, "do_center_crop", true)) throw new InvalidDataException($"{path}: do_center_crop=false is not supported");
        if (!Bool(root, "do_rescale", true)) throw new InvalidDataException($"{path}: do_rescale=false is not supported");
        if (root.TryGetProperty("rescale_factor", out var rf) && Math.Abs(rf.GetDouble() - 1.0 / 255) > 1e-12)
            throw new InvalidDataException($"{path}: rescale_factor {rf.GetDouble()} is not supported (only 1/255)");

        if (!root.TryGetProperty("size", out var sizeEl)) throw new InvalidDataException($"{path}: missing key 'size'");
        int size;
        var mode = ResizeMode.Shortest;
        if (sizeEl.ValueKind == JsonValueKind.Number) size = sizeEl.GetInt32();
        else if (sizeEl.TryGetProperty("shortest_edge", out var se)) size = se.GetInt32();
        else if (sizeEl.TryGetProperty("height", out var hEl) && sizeEl.TryGetProperty("width", out var wEl))
        {
            if (hEl.GetInt32() != wEl.GetInt32())
                throw new InvalidDataException($"{path}: size {{height {hEl.GetInt32()}, width {wEl.GetInt32()}}} is not square");
            size = hEl.GetInt32();
            mode = ResizeMode.Squash;
        }
        else throw new InvalidDataException($"{path}: key 'size' has neither shortest_edge nor height/width");

        int crop = size;
        if (root.TryGetProperty("crop_size", out var cropEl))
        {
            if (cropEl.ValueKind == JsonValueKind.Number) crop = cropEl.GetInt32();
            else
            {
                int ch = cropEl.GetProperty("height").GetInt32(), cw = cropEl.GetProperty("width").GetInt32();
                if (ch != cw) throw new InvalidDataException($"{path}: crop_size {ch}x{cw} is not square");
                crop = ch;
            }
        }

        var filter = Filter(root, path, fallback: 3);
        var (mean, std) = MeanStd(root, path);

        try
        {
            return new PreprocessConfig(size, mean, std, mode, filter, crop, PipelineConvention.HuggingFace);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>A Siglip2ImageProcessor config (NaFlex): patch_size, max_num_patches, resample, image_mean/std.</summary>
    public static NaFlexPreprocessor ReadNaFlex(JsonElement root, string path)
    {
        try
        {
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: expected a JSON object");
            if (!Bool(root, "do_resize", true)) throw new InvalidDataException($"{path}: do_resize=false is not supported");
            if (!Bool(root, "do_rescale", true)) throw new InvalidDataException($"{path}: do_rescale=false is not supported");
            if (root.TryGetProperty("rescale_factor", out var rf) && Math.Abs(rf.GetDouble() - 1.0 / 255) > 1e-12)
                throw new InvalidDataException($"{path}: rescale_factor {rf.GetDouble()} is not supported (only 1/255)");
            int Int(string key) => root.TryGetProperty(key, out var v) ? v.GetInt32() : throw new InvalidDataException($"{path}: missing key '{key}'");
            var (mean, std) = MeanStd(root, path);
            return new NaFlexPreprocessor(Int("patch_size"), Int("max_num_patches"), mean ?? [0.5f, 0.5f, 0.5f], std ?? [0.5f, 0.5f, 0.5f], Filter(root, path, fallback: 2));
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: malformed preprocessor config ({e.Message})", e);
        }
    }

    /// <summary>The PIL filter numbered by "resample".</summary>
    private static ResampleFilter Filter(JsonElement root, string path, int fallback)
    {
        int resample = root.TryGetProperty("resample", out var rs) ? rs.GetInt32() : fallback;
        return resample switch
        {
            0 => ResampleFilter.Nearest,
            1 => ResampleFilter.Lanczos,
            2 => ResampleFilter.Bilinear,
            3 => ResampleFilter.Bicubic,
            4 => ResampleFilter.Box,
            5 => ResampleFilter.Hamming,
            _ => throw new InvalidDataException($"{path}: resample {resample} is not a PIL filter number"),
        };
    }

    /// <summary>image_mean / image_std (null where absent), or 0 / 1 when do_normalize is false.</summary>
    private static (float[]? Mean, float[]? Std) MeanStd(JsonElement root, string path) =>
        Bool(root, "do_normalize", true) ? (Floats(root, "image_mean", path), Floats(root, "image_std", path)) : ([0f, 0f, 0f], [1f, 1f, 1f]);

    private static bool Bool(JsonElement root, string key, bool fallback) =>
        root.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    private static float[]? Floats(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}: '{key}' should be an array of 3 numbers");
        return v.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
    }
}
