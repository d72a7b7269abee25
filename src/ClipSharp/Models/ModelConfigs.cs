using System.Reflection;
using System.Text.Json;
using ClipSharp.IO;

namespace ClipSharp.Models;

/// <summary>
/// Where a <see cref="ClipConfig"/> comes from: named presets (embedded OpenCLIP-style JSON),
/// OpenCLIP model-config files, or the shapes of a state_dict (as the reference's build_model does).
/// </summary>
public static class ModelConfigs
{
    private const string PresetPrefix = "ClipSharp.Models.Presets.";

    /// <summary>Names of the built-in presets (ViT-B-32, RN50, ...).</summary>
    public static IReadOnlyList<string> PresetNames { get; } = typeof(ModelConfigs).Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(PresetPrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[PresetPrefix.Length..^5]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The built-in preset called <paramref name="name"/> (case-insensitive).</summary>
    public static ClipConfig Preset(string name)
    {
        var match = PresetNames.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown architecture '{name}'; known: {string.Join(", ", PresetNames)}");
        using var stream = typeof(ModelConfigs).Assembly.GetManifestResourceStream(PresetPrefix + match + ".json")!;
        using var doc = JsonDocument.Parse(stream);
        return FromOpenClipJson(doc.RootElement, $"preset {match}");
    }

    /// <summary>Reads an OpenCLIP model config (model_cfg JSON, or open_clip_config.json with a "model_cfg" member).</summary>
    public static ClipConfig FromOpenClipFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement.TryGetProperty("model_cfg", out var cfg) ? cfg : doc.RootElement;
        return FromOpenClipJson(root, path);
    }

    /// <summary>Builds a config from OpenCLIP's JSON schema (embed_dim, quick_gelu, vision_cfg, text_cfg).</summary>
    public static ClipConfig FromOpenClipJson(JsonElement root, string source)
    {
        try
        {
            int embed = root.GetProperty("embed_dim").GetInt32();
            bool quick = root.TryGetProperty("quick_gelu", out var q) && q.GetBoolean();
            var v = root.GetProperty("vision_cfg");
            var t = root.GetProperty("text_cfg");
            int imageSize = v.GetProperty("image_size").GetInt32();
            int width = v.GetProperty("width").GetInt32();
            int headWidth = v.TryGetProperty("head_width", out var hw) ? hw.GetInt32() : 64;
            var layers = v.GetProperty("layers");
            VisionConfig vision;
            if (layers.ValueKind == JsonValueKind.Array)
            {
                vision = new ResNetConfig(imageSize, layers.EnumerateArray().Select(e => e.GetInt32()).ToArray(), width, width * 32 / headWidth);
            }
            else
            {
                int mlp = v.TryGetProperty("mlp_ratio", out var mr) ? (int)Math.Round(width * mr.GetDouble()) : width * 4;
                vision = new VitConfig(imageSize, v.GetProperty("patch_size").GetInt32(), width, layers.GetInt32(), width / headWidth, mlp);
            }
            int textWidth = t.GetProperty("width").GetInt32();
            var text = new TextConfig(
                t.TryGetProperty("context_length", out var c) ? c.GetInt32() : 77,
                t.TryGetProperty("vocab_size", out var vs) ? vs.GetInt32() : 49408,
                textWidth,
                t.TryGetProperty("heads", out var th) ? th.GetInt32() : textWidth / 64,
                t.GetProperty("layers").GetInt32());
            return new ClipConfig(embed, vision, text, quick ? Activation.QuickGelu : Activation.Gelu);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: not a valid OpenCLIP model config ({e.Message})", e);
        }
    }

    /// <summary>
    /// Infers the architecture from tensor shapes as the reference's build_model does: ViT when
    /// visual.proj exists, else ModifiedResNet; heads = width / 64; QuickGELU (OpenAI's choice).
    /// </summary>
    public static ClipConfig InferFromStateDict(StateDict sd, Activation activation = Activation.QuickGelu)
    {
        VisionConfig vision;
        if (sd.Contains("visual.proj"))
        {
            var conv = sd["visual.conv1.weight"].Shape;          // (width, 3, P, P)
            int width = conv[0], patch = conv[^1];
            int layers = CountIndices(sd, "visual.transformer.resblocks.", ".attn.in_proj_weight");
            int grid = (int)Math.Round(Math.Sqrt(sd["visual.positional_embedding"].Shape[0] - 1));
            vision = new VitConfig(patch * grid, patch, width, layers, Math.Max(1, width / 64), sd["visual.transformer.resblocks.0.mlp.c_fc.weight"].Shape[0]);
        }
        else if (sd.Contains("visual.attnpool.positional_embedding"))
        {
            var counts = new int[4];
            for (int b = 0; b < 4; b++) counts[b] = CountIndices(sd, $"visual.layer{b + 1}.", ".conv1.weight");
            int width = sd["visual.layer1.0.conv1.weight"].Shape[0];
            int outputWidth = (int)Math.Round(Math.Sqrt(sd["visual.attnpool.positional_embedding"].Shape[0] - 1));
            vision = new ResNetConfig(outputWidth * 32, counts, width, Math.Max(1, width * 32 / 64));
        }
        else
        {
            throw new CheckpointException(sd.Source, "cannot tell the image tower: neither 'visual.proj' (ViT) nor 'visual.attnpool.positional_embedding' (ModifiedResNet) is present");
        }
        int textWidth = sd["ln_final.weight"].Shape[0];
        var text = new TextConfig(
            sd["positional_embedding"].Shape[0],
            sd["token_embedding.weight"].Shape[0],
            textWidth,
            Math.Max(1, textWidth / 64),
            CountIndices(sd, "transformer.resblocks.", ".attn.in_proj_weight"),
            sd["transformer.resblocks.0.mlp.c_fc.weight"].Shape[0]);
        return new ClipConfig(sd["text_projection"].Shape[1], vision, text, activation);
    }

    private static int CountIndices(StateDict sd, string prefix, string suffix)
    {
        var seen = new HashSet<int>();
        foreach (var name in sd.Names)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var middle = name[prefix.Length..^suffix.Length];
            if (int.TryParse(middle, out int index)) seen.Add(index);
        }
        return seen.Count;
    }
}
