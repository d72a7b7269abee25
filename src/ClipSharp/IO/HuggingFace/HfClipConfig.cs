using System.Text.Json;

namespace ClipSharp.IO;

/// <summary>The text tower of a Hugging Face CLIPConfig (text_config), with HF's defaults for omitted fields.</summary>
public sealed record HfClipTextConfig
{
    public int HiddenSize { get; }
    public int IntermediateSize { get; }
    public int NumAttentionHeads { get; }
    public int NumHiddenLayers { get; }
    public int VocabSize { get; }
    public int MaxPositionEmbeddings { get; }
    public string HiddenAct { get; }
    public double LayerNormEps { get; }

    public HfClipTextConfig(int hiddenSize = 512, int intermediateSize = 2048, int numAttentionHeads = 8, int numHiddenLayers = 12,
        int vocabSize = 49408, int maxPositionEmbeddings = 77, string hiddenAct = "quick_gelu", double layerNormEps = 1e-5)
    {
        HfClipConfig.CheckTower("text_config", hiddenSize, intermediateSize, numAttentionHeads, numHiddenLayers, hiddenAct, layerNormEps);
        HfClipConfig.Positive("text_config.vocab_size", vocabSize);
        HfClipConfig.Positive("text_config.max_position_embeddings", maxPositionEmbeddings);
        (HiddenSize, IntermediateSize, NumAttentionHeads, NumHiddenLayers) = (hiddenSize, intermediateSize, numAttentionHeads, numHiddenLayers);
        (VocabSize, MaxPositionEmbeddings, HiddenAct, LayerNormEps) = (vocabSize, maxPositionEmbeddings, hiddenAct, layerNormEps);
    }
}

/// <summary>The vision tower of a Hugging Face CLIPConfig (vision_config), with HF's defaults for omitted fields.</summary>
public sealed record HfClipVisionConfig
{
    public int HiddenSize { get; }
    public int IntermediateSize { get; }
    public int NumAttentionHeads { get; }
    public int NumHiddenLayers { get; }
    public int ImageSize { get; }
    public int PatchSize { get; }
    public int NumChannels { get; }
    public string HiddenAct { get; }
    public double LayerNormEps { get; }

    /// <summary>Patches per side: ImageSize / PatchSize.</summary>
    public int GridSize => ImageSize / PatchSize;

    public HfClipVisionConfig(int hiddenSize = 768, int intermediateSize = 3072, int numAttentionHeads = 12, int numHiddenLayers = 12,
        int imageSize = 224, int patchSize = 32, int numChannels = 3, string hiddenAct = "quick_gelu", double layerNormEps = 1e-5)
    {
        HfClipConfig.CheckTower("vision_config", hiddenSize, intermediateSize, numAttentionHeads, numHiddenLayers, hiddenAct, layerNormEps);
        HfClipConfig.Positive("vision_config.image_size", imageSize);
        HfClipConfig.Positive("vision_config.patch_size", patchSize);
        HfClipConfig.Positive("vision_config.num_channels", numChannels);
        if (imageSize % patchSize != 0)
            throw new ArgumentException($"vision_config: image_size {imageSize} is not a multiple of patch_size {patchSize}");
        (HiddenSize, IntermediateSize, NumAttentionHeads, NumHiddenLayers) = (hiddenSize, intermediateSize, numAttentionHeads, numHiddenLayers);
        (ImageSize, PatchSize, NumChannels, HiddenAct, LayerNormEps) = (imageSize, patchSize, numChannels, hiddenAct, layerNormEps);
    }
}

/// <summary>
/// A Hugging Face CLIPConfig (config.json of a CLIPModel directory): enough to build the architecture.
/// Fields missing from the file take transformers' CLIPConfig defaults, as HF itself does
/// (save_pretrained writes only values that differ from them).
/// </summary>
public sealed record HfClipConfig
{
    public HfClipTextConfig Text { get; }
    public HfClipVisionConfig Vision { get; }
    public int ProjectionDim { get; }
    public double LogitScaleInitValue { get; }

    public HfClipConfig(HfClipTextConfig text, HfClipVisionConfig vision, int projectionDim = 512, double logitScaleInitValue = 2.6592)
    {
        Positive("projection_dim", projectionDim);
        (Text, Vision, ProjectionDim, LogitScaleInitValue) = (text, vision, projectionDim, logitScaleInitValue);
    }

    /// <summary>Reads config.json (a file, or the directory holding it); a <see cref="CheckpointException"/> naming the file and field on error.</summary>
    public static HfClipConfig Load(string path)
    {
        if (Directory.Exists(path)) path = System.IO.Path.Combine(path, "config.json");
        string json;
        try { json = File.ReadAllText(path); }
        catch (IOException e) { throw new CheckpointException(path, $"cannot read: {e.Message}", e); }
        return Parse(json, path);
    }

    /// <summary>Parses config.json text; <paramref name="source"/> names it in errors.</summary>
    public static HfClipConfig Parse(string json, string source)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(source, $"expected a JSON object, found {root.ValueKind}");
            if (root.TryGetProperty("model_type", out var mt) && mt.GetString() is { } type && type != "clip")
                throw new CheckpointException(source, $"model_type is '{type}'; expected 'clip'");
            var t = Section(root, "text_config");
            var v = Section(root, "vision_config");
            var text = new HfClipTextConfig(
                Int(t, "hidden_size", 512), Int(t, "intermediate_size", 2048), Int(t, "num_attention_heads", 8),
                Int(t, "num_hidden_layers", 12), Int(t, "vocab_size", 49408), Int(t, "max_position_embeddings", 77),
                Str(t, "hidden_act", "quick_gelu"), Dbl(t, "layer_norm_eps", 1e-5));
            var vision = new HfClipVisionConfig(
                Int(v, "hidden_size", 768), Int(v, "intermediate_size", 3072), Int(v, "num_attention_heads", 12),
                Int(v, "num_hidden_layers", 12), Int(v, "image_size", 224), Int(v, "patch_size", 32), Int(v, "num_channels", 3),
                Str(v, "hidden_act", "quick_gelu"), Dbl(v, "layer_norm_eps", 1e-5));
            return new HfClipConfig(text, vision, Int(root, "projection_dim", 512), Dbl(root, "logit_scale_init_value", 2.6592));
        }
        catch (JsonException e) { throw new CheckpointException(source, $"not valid JSON: {e.Message}", e); }
        catch (ArgumentException e) { throw new CheckpointException(source, e.Message, e); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new CheckpointException(source, $"unexpected value type: {e.Message}", e);
        }
    }

    /// <summary>config.json text for this configuration (CLIPModel, float32).</summary>
    public string ToJson()
    {
        var o = new Dictionary<string, object>
        {
            ["architectures"] = new[] { "CLIPModel" },
            ["model_type"] = "clip",
            ["projection_dim"] = ProjectionDim,
            ["logit_scale_init_value"] = LogitScaleInitValue,
            ["text_config"] = new Dictionary<string, object>
            {
                ["hidden_size"] = Text.HiddenSize, ["intermediate_size"] = Text.IntermediateSize,
                ["num_attention_heads"] = Text.NumAttentionHeads, ["num_hidden_layers"] = Text.NumHiddenLayers,
                ["max_position_embeddings"] = Text.MaxPositionEmbeddings, ["vocab_size"] = Text.VocabSize,
                ["hidden_act"] = Text.HiddenAct, ["layer_norm_eps"] = Text.LayerNormEps, ["projection_dim"] = ProjectionDim,
            },
            ["vision_config"] = new Dictionary<string, object>
            {
                ["hidden_size"] = Vision.HiddenSize, ["intermediate_size"] = Vision.IntermediateSize,
                ["num_attention_heads"] = Vision.NumAttentionHeads, ["num_hidden_layers"] = Vision.NumHiddenLayers,
                ["image_size"] = Vision.ImageSize, ["patch_size"] = Vision.PatchSize, ["num_channels"] = Vision.NumChannels,
                ["hidden_act"] = Vision.HiddenAct, ["layer_norm_eps"] = Vision.LayerNormEps, ["projection_dim"] = ProjectionDim,
            },
        };
        return JsonSerializer.Serialize(o, new JsonSerializerOptions { WriteIndented = true });
    }

    internal static void CheckTower(string section, int hidden, int intermediate, int heads, int layers, string act, double eps)
    {
        Positive($"{section}.hidden_size", hidden);
        Positive($"{section}.intermediate_size", intermediate);
        Positive($"{section}.num_attention_heads", heads);
        Positive($"{section}.num_hidden_layers", layers);
        if (hidden % heads != 0)
            throw new ArgumentException($"{section}: hidden_size {hidden} is not divisible by num_attention_heads {heads}");
        if (act is not ("quick_gelu" or "gelu" or "gelu_new" or "gelu_pytorch_tanh"))
            throw new ArgumentException($"{section}.hidden_act is '{act}'; expected quick_gelu, gelu, gelu_new or gelu_pytorch_tanh");
        if (!(eps > 0)) throw new ArgumentException($"{section}.layer_norm_eps is {eps}; expected > 0");
    }

    internal static void Positive(string field, int value)
    {
        if (value <= 0) throw new ArgumentException($"{field} is {value}; expected a positive integer");
    }

    private static JsonElement? Section(JsonElement root, string name) =>
        root.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.Object ? s
        : root.TryGetProperty(name + "_dict", out var d) && d.ValueKind == JsonValueKind.Object ? d
        : null;

    private static int Int(JsonElement? e, string name, int fallback) =>
        e is { } o && o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetInt32() : fallback;

    private static double Dbl(JsonElement? e, string name, double fallback) =>
        e is { } o && o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v.GetDouble() : fallback;

    private static string Str(JsonElement? e, string name, string fallback) =>
        e is { } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
}
