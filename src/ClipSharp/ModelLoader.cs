using ClipSharp.IO;
using ClipSharp.Models;

namespace ClipSharp;

/// <summary>What a checkpoint holds, read without building the model.</summary>
/// <param name="Warnings">What the loader noticed but did not refuse (e.g. NaN/Inf weights), one line each.</param>
public sealed record CheckpointInfo(string Path, string Format, ClipConfig Config, long ParameterCount, string Dtypes,
    IReadOnlyList<string>? Warnings = null);

/// <summary>
/// Turns a path into a <see cref="ClipModel"/>: detects the checkpoint format, finds the
/// architecture (Hugging Face config.json, an OpenCLIP open_clip_config.json beside the weights, or
/// the tensor shapes as the reference's build_model does) and builds the model on the loaded tensors.
/// </summary>
public static class ModelLoader
{
    /// <summary>Loads a model from a file or directory in any supported format.</summary>
    public static ClipModel Load(string path, ClipConfig? config = null)
    {
        var sd = CheckpointLoader.Load(path);
        try
        {
            var model = ClipModel.FromStateDict(sd, config ?? ConfigFor(path, sd));
            model.LoadWarnings = sd.Warnings;
            model.NonFiniteWeights = sd.NonFiniteTensors;
            return model;
        }
        catch (Exception e) when (CheckpointLoader.Untyped(e))
        {
            throw CheckpointLoader.Wrap(path, e);
        }
    }

    /// <summary>The architecture of a loaded state_dict.</summary>
    public static ClipConfig ConfigFor(string path, StateDict sd)
    {
        if (sd.HfConfig is { } hf) return ModelConfigs.FromHuggingFace(hf);
        if (FindOpenClipConfig(path) is { } openClip) return ModelConfigs.FromOpenClipFile(openClip);
        return ModelConfigs.InferFromStateDict(sd);
    }

    /// <summary>
    /// Describes a checkpoint. Safetensors files are described from their header alone (nothing
    /// is read or converted), so this stays cheap for multi-gigabyte checkpoints.
    /// </summary>
    public static CheckpointInfo Inspect(string path)
    {
        try
        {
            return InspectUnchecked(path);
        }
        catch (Exception e) when (CheckpointLoader.Untyped(e))
        {
            throw CheckpointLoader.Wrap(path, e);
        }
    }

    private static CheckpointInfo InspectUnchecked(string path)
    {
        if (CheckpointLoader.Detect(path) == CheckpointFormat.Safetensors)
        {
            using var file = SafetensorsFile.Open(path);
            var names = file.Names;
            bool hfNames = HfClipNames.LooksLikeHf(names);
            if (!hfNames)
            {
                var config = FindOpenClipConfig(path) is { } oc
                    ? ModelConfigs.FromOpenClipFile(oc)
                    : ModelConfigs.InferFromShapes(path, names, file.Shape);
                long count = names.Sum(n => (long)file.Shape(n).Aggregate(1L, (a, d) => a * d));
                var dtypes = string.Join(" + ", names.GroupBy(n => file.Dtype(n).Name()).Select(g => $"{g.Key} ×{g.Count()}"));
                return new CheckpointInfo(path, "safetensors", config, count, dtypes);
            }
        }
        var sd = CheckpointLoader.Load(path);
        var summary = string.Join(" + ", sd.Names.GroupBy(sd.StoredDtype).Select(g => $"{g.Key} ×{g.Count()}"));
        return new CheckpointInfo(path, sd.Format, ConfigFor(path, sd), sd.ParameterCount, summary, sd.Warnings);
    }

    private static string? FindOpenClipConfig(string path)
    {
        var dir = Directory.Exists(path) ? path : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is null) return null;
        var candidate = System.IO.Path.Combine(dir, "open_clip_config.json");
        return File.Exists(candidate) ? candidate : null;
    }
}
