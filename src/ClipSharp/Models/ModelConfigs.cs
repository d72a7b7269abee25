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
    public static ClipConfig InferFromStateDict(StateDict sd, Activation activation = Activation.QuickGelu) =>
        InferFromShapes(sd.Source, sd.Names, name => sd[name].Shape, activation);

    /// <summary>
    /// <see cref="InferFromStateDict"/> from names and shapes alone (e.g. a safetensors header), so a
    /// checkpoint can be described without reading its tensors.
    /// </summary>
    public static ClipConfig InferFromShapes(string source, IReadOnlyList<string> names, Func<string, int[]> shapeOf,
        Activation activation = Activation.QuickGelu)
    {
        var present = new HashSet<string>(names, StringComparer.Ordinal);
        int[] Shape(string name) => present.Contains(name)
            ? shapeOf(name)
            : throw new CheckpointException(source, $"missing tensor '{name}', needed to infer the architecture");
        VisionConfig vision;
        if (present.Contains("visual.proj"))
        {
            var conv = Shape("visual.conv1.weight");             // (width, 3, P, P)
            int width = conv[0], patch = conv[^1];
            int layers = CountIndices(names, "visual.transformer.resblocks.", ".attn.in_proj_weight");
            int grid = (int)Math.Round(Math.Sqrt(Shape("visual.positional_embedding")[0] - 1));
            vision = new VitConfig(patch * grid, patch, width, layers, Math.Max(1, width / 64), Shape("visual.transformer.resblocks.0.mlp.c_fc.weight")[0]);
        }
        else if (present.Contains("visual.attnpool.positional_embedding"))
        {
            var counts = new int[4];
            for (int b = 0; b < 4; b++) counts[b] = CountIndices(names, $"visual.layer{b + 1}.", ".conv1.weight");
            int width = Shape("visual.layer1.0.conv1.weight")[0];
            int outputWidth = (int)Math.Round(Math.Sqrt(Shape("visual.attnpool.positional_embedding")[0] - 1));
            vision = new ResNetConfig(outputWidth * 32, counts, width, Math.Max(1, width * 32 / 64));
        }
        else
        {
            throw new CheckpointException(source, "cannot tell the image tower: neither 'visual.proj' (ViT) nor 'visual.attnpool.positional_embedding' (ModifiedResNet) is present");
        }
        int textWidth = Shape("ln_final.weight")[0];
        var text = new TextConfig(
            Shape("positional_embedding")[0],
            Shape("token_embedding.weight")[0],
            textWidth,
            Math.Max(1, textWidth / 64),
            CountIndices(names, "transformer.resblocks.", ".attn.in_proj_weight"),
            Shape("transformer.resblocks.0.mlp.c_fc.weight")[0]);
        return new ClipConfig(Shape("text_projection")[1], vision, text, activation);
    }

    /// <summary>The architecture a Hugging Face CLIPConfig describes (HF's CLIPModel is always a ViT).</summary>
    public static ClipConfig FromHuggingFace(HfClipConfig hf)
    {
        var v = hf.Vision;
        var t = hf.Text;
        var vision = new VitConfig(v.ImageSize, v.PatchSize, v.HiddenSize, v.NumHiddenLayers, v.NumAttentionHeads, v.IntermediateSize);
        var text = new TextConfig(t.MaxPositionEmbeddings, t.VocabSize, t.HiddenSize, t.NumAttentionHeads, t.NumHiddenLayers, t.IntermediateSize);
        return new ClipConfig(hf.ProjectionDim, vision, text, ActivationFromName(t.HiddenAct, "text_config.hidden_act"));
    }

    /// <summary>"quick_gelu" → QuickGelu; "gelu" → Gelu.</summary>
    public static Activation ActivationFromName(string name, string field) => name switch
    {
        "quick_gelu" => Activation.QuickGelu,
        "gelu" => Activation.Gelu,
        _ => throw new ArgumentException($"{field}: unsupported activation '{name}' (expected quick_gelu or gelu)"),
    };

    private static int CountIndices(IReadOnlyList<string> names, string prefix, string suffix)
    {
        var seen = new HashSet<int>();
        foreach (var name in names)
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var middle = name[prefix.Length..^suffix.Length];
            if (int.TryParse(middle, out int index)) seen.Add(index);
        }
        return seen.Count;
    }
}
