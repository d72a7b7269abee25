using System.Reflection;
using System.Text.Json;
using ClipSharp.IO;
using ClipSharp.Tensors;

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
        // Every shape used is checked for its rank and for positive sizes, so a malformed checkpoint is
        // one line naming the tensor, never an index error or a nonsense architecture.
        int[] Shape(string name, int rank, string layout)
        {
            if (!present.Contains(name))
                throw new CheckpointException(source, $"missing tensor '{name}', needed to infer the architecture");
            var shape = shapeOf(name);
            if (shape.Length != rank || shape.Any(d => d <= 0))
                throw new CheckpointException(source, $"tensor '{name}' has shape {Tensor.FormatShape(shape)}; expected {layout}");
            return shape;
        }
        int Bounded(int value, int max, string what)
        {
            if (value < 1 || value > max)
                throw new CheckpointException(source, $"the tensor shapes give {what} = {value}; expected 1..{max}");
            return value;
        }
        int Grid(string name)
        {
            int tokens = Shape(name, 2, "(grid² + 1, width)")[0];
            int grid = (int)Math.Round(Math.Sqrt(tokens - 1));
            if (grid < 1 || grid * grid + 1 != tokens)
                throw new CheckpointException(source, $"tensor '{name}' has {tokens} positions; expected a square grid plus one class token (e.g. 50 = 7² + 1)");
            return grid;
        }
        VisionConfig vision;
        if (present.Contains("visual.proj"))
        {
            var conv = Shape("visual.conv1.weight", 4, "(width, 3, patch, patch)");
            if (conv[1] != 3 || conv[2] != conv[3])
                throw new CheckpointException(source, $"tensor 'visual.conv1.weight' has shape {Tensor.FormatShape(conv)}; expected (width, 3, patch, patch)");
            int width = Bounded(conv[0], MaxWidth, "the vision width");
            int patch = Bounded(conv[^1], MaxImageSize, "the patch size");
            int layers = Bounded(CountIndices(names, "visual.transformer.resblocks.", ".attn.in_proj_weight"), MaxLayers, "the vision layer count");
            int grid = Grid("visual.positional_embedding");
            int mlp = Bounded(Shape("visual.transformer.resblocks.0.mlp.c_fc.weight", 2, "(mlp width, width)")[0], 4 * MaxWidth, "the vision MLP width");
            vision = new VitConfig(Bounded(patch * grid, MaxImageSize, "the image size"), patch, width, layers, Math.Max(1, width / 64), mlp);
        }
        else if (present.Contains("visual.attnpool.positional_embedding"))
        {
            var counts = new int[4];
            for (int b = 0; b < 4; b++)
                counts[b] = Bounded(CountIndices(names, $"visual.layer{b + 1}.", ".conv1.weight"), MaxLayers, $"the block count of visual.layer{b + 1}");
            int width = Bounded(Shape("visual.layer1.0.conv1.weight", 4, "(width, width, 1, 1)")[0], MaxWidth, "the ResNet width");
            int outputWidth = Grid("visual.attnpool.positional_embedding");
            vision = new ResNetConfig(Bounded(outputWidth * 32, MaxImageSize, "the image size"), counts, width, Math.Max(1, width * 32 / 64));
        }
        else
        {
            throw new CheckpointException(source, "cannot tell the image tower: neither 'visual.proj' (ViT) nor 'visual.attnpool.positional_embedding' (ModifiedResNet) is present");
        }
        int textWidth = Bounded(Shape("ln_final.weight", 1, "(width)")[0], MaxWidth, "the text width");
        var text = new TextConfig(
            Bounded(Shape("positional_embedding", 2, "(context length, width)")[0], MaxContextLength, "the context length"),
            Bounded(Shape("token_embedding.weight", 2, "(vocabulary, width)")[0], MaxVocabulary, "the vocabulary size"),
            textWidth,
            Math.Max(1, textWidth / 64),
            Bounded(CountIndices(names, "transformer.resblocks.", ".attn.in_proj_weight"), MaxLayers, "the text layer count"),
            Bounded(Shape("transformer.resblocks.0.mlp.c_fc.weight", 2, "(mlp width, width)")[0], 4 * MaxWidth, "the text MLP width"));
        int embed = Bounded(Shape("text_projection", 2, "(text width, embed dim)")[1], MaxWidth, "the embedding size");
        return new ClipConfig(embed, vision, text, activation);
    }

    // Bounds on what a CLIP architecture can need (ViT-bigG/14 is width 1664, 48 layers, 224-448 px,
    // context 77): an inferred config past them comes from a malformed or hostile file, and building it
    // would allocate by the config (masks, positions) rather than by the file.
    private const int MaxWidth = 16_384, MaxLayers = 512, MaxImageSize = 4096, MaxContextLength = 4096, MaxVocabulary = 1 << 20;

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
