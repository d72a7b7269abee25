using System.Text.Json;

namespace ClipSharp.Models.Siglip;

/// <summary>One SigLIP encoder stack: pre-LN blocks with tanh-GELU MLPs (HF hidden_size, num_hidden_layers, ...).</summary>
public sealed record SiglipTowerConfig
{
    public int Width { get; }
    public int Layers { get; }
    public int Heads { get; }
    public int MlpWidth { get; }
    public float LayerNormEps { get; }

    public SiglipTowerConfig(int width, int layers, int heads, int mlpWidth, float layerNormEps = 1e-6f)
    {
        Check.Positive(width, nameof(width));
        Check.Positive(layers, nameof(layers));
        Check.Positive(heads, nameof(heads));
        Check.Positive(mlpWidth, nameof(mlpWidth));
        if (width % heads != 0) throw new ArgumentException($"width {width} is not divisible by {heads} heads");
        if (!(layerNormEps > 0)) throw new ArgumentException($"layer_norm_eps must be positive, got {layerNormEps}");
        (Width, Layers, Heads, MlpWidth, LayerNormEps) = (width, layers, heads, mlpWidth, layerNormEps);
    }
}

/// <summary>
/// The SigLIP image tower. FixRes (SigLIP, SigLIP 2 FixRes): a conv patch embedding with bias over an
/// ImageSize² input and (ImageSize/PatchSize)² learned positions. NaFlex (SigLIP 2): a linear patch
/// embedding on channels-last patches, a √NumPatches² position grid resized per image, and at most
/// MaxNumPatches patches per image at the image's own aspect ratio.
/// </summary>
public sealed record SiglipVisionConfig
{
    public SiglipTowerConfig Tower { get; }
    public int PatchSize { get; }
    /// <summary>Learned positions: Grid² of them.</summary>
    public int NumPatches { get; }
    public bool NaFlex { get; }
    /// <summary>FixRes input side in pixels (Grid · PatchSize); NaFlex images have no fixed size.</summary>
    public int ImageSize { get; }

    public SiglipVisionConfig(SiglipTowerConfig tower, int patchSize, int numPatches, bool naFlex, int imageSize)
    {
        Tower = tower ?? throw new ArgumentNullException(nameof(tower));
        Check.Positive(patchSize, nameof(patchSize));
        Check.Positive(numPatches, nameof(numPatches));
        int grid = (int)Math.Round(Math.Sqrt(numPatches));
        if (grid * grid != numPatches) throw new ArgumentException($"num_patches {numPatches} is not a square");
        if (!naFlex && imageSize != grid * patchSize)
            throw new ArgumentException($"image_size {imageSize} is not num_patches^0.5 {grid} × patch_size {patchSize}");
        (PatchSize, NumPatches, NaFlex, ImageSize) = (patchSize, numPatches, naFlex, imageSize);
    }

    /// <summary>Side of the learned position grid.</summary>
    public int Grid => (int)Math.Round(Math.Sqrt(NumPatches));

    /// <summary>Values in one flattened patch: 3 · P².</summary>
    public int PatchLength => 3 * PatchSize * PatchSize;
}

/// <summary>The SigLIP text tower: learned positions, non-causal blocks, final LayerNorm, last-token pooling, a linear head.</summary>
public sealed record SiglipTextConfig
{
    public SiglipTowerConfig Tower { get; }
    public int VocabSize { get; }
    public int ContextLength { get; }
    public int ProjectionSize { get; }
    public int PadTokenId { get; }

    public SiglipTextConfig(SiglipTowerConfig tower, int vocabSize, int contextLength, int projectionSize, int padTokenId = 1)
    {
        Tower = tower ?? throw new ArgumentNullException(nameof(tower));
        Check.Positive(vocabSize, nameof(vocabSize));
        Check.Positive(contextLength, nameof(contextLength));
        Check.Positive(projectionSize, nameof(projectionSize));
        (VocabSize, ContextLength, ProjectionSize, PadTokenId) = (vocabSize, contextLength, projectionSize, padTokenId);
    }
}

/// <summary>A SigLIP / SigLIP 2 model: both towers embed into one space; logits = exp(scale)·cos + bias, probabilities are sigmoids.</summary>
public sealed record SiglipConfig
{
    public SiglipVisionConfig Vision { get; }
    public SiglipTextConfig Text { get; }

    public SiglipConfig(SiglipVisionConfig vision, SiglipTextConfig text)
    {
        Vision = vision ?? throw new ArgumentNullException(nameof(vision));
        Text = text ?? throw new ArgumentNullException(nameof(text));
        if (text.ProjectionSize != vision.Tower.Width)
            throw new ArgumentException($"text projection_size {text.ProjectionSize} differs from the vision width {vision.Tower.Width}: embeddings would not share a space");
    }

    /// <summary>Embedding width (the vision width, which the text head projects to).</summary>
    public int EmbedDim => Vision.Tower.Width;

    /// <summary>True when config.json's model_type is siglip or siglip2.</summary>
    public static bool IsSiglipConfig(string configJsonPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configJsonPath));
            return doc.RootElement.TryGetProperty("model_type", out var mt) && mt.GetString() is "siglip" or "siglip2";
        }
        catch (JsonException) { return false; }
    }

    /// <summary>
    /// Reads a Hugging Face config.json (model_type siglip or siglip2), with transformers' defaults for
    /// omitted fields. Errors name the file and the field.
    /// </summary>
    public static SiglipConfig FromHuggingFace(string path)
    {
        if (Directory.Exists(path)) path = System.IO.Path.Combine(path, "config.json");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            string modelType = root.TryGetProperty("model_type", out var mt) ? mt.GetString() ?? "" : "";
            if (modelType is not ("siglip" or "siglip2"))
                throw new InvalidDataException($"{path}: model_type '{modelType}' is not siglip or siglip2");
            bool naflex = modelType == "siglip2";
            var v = root.GetProperty("vision_config");
            var t = root.GetProperty("text_config");
            foreach (var (tower, name) in new[] { (v, "vision_config"), (t, "text_config") })
                if (tower.TryGetProperty("hidden_act", out var act) && act.GetString() != "gelu_pytorch_tanh")
                    throw new InvalidDataException($"{path}: {name}.hidden_act '{act.GetString()}' is not supported (SigLIP uses gelu_pytorch_tanh)");
            if (v.TryGetProperty("vision_use_head", out var useHead) && useHead.ValueKind == JsonValueKind.False)
                throw new InvalidDataException($"{path}: vision_config.vision_use_head=false is not supported");
            var vt = Tower(v);
            int patch = Int(v, "patch_size", 16);
            int imageSize = Int(v, "image_size", 224);
            int numPatches = naflex ? Int(v, "num_patches", 256) : (imageSize / patch) * (imageSize / patch);
            var vision = new SiglipVisionConfig(vt, patch, numPatches, naflex, naflex ? 0 : imageSize);
            var tt = Tower(t);
            var text = new SiglipTextConfig(tt, Int(t, "vocab_size", 32000), Int(t, "max_position_embeddings", 64),
                Int(t, "projection_size", tt.Width), Int(t, "pad_token_id", 1));
            return new SiglipConfig(vision, text);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed SigLIP config ({e.Message})", e);
        }
    }

    private static SiglipTowerConfig Tower(JsonElement e) => new(Int(e, "hidden_size", 768), Int(e, "num_hidden_layers", 12),
        Int(e, "num_attention_heads", 12), Int(e, "intermediate_size", 3072),
        e.TryGetProperty("layer_norm_eps", out var eps) ? (float)eps.GetDouble() : 1e-6f);

    private static int Int(JsonElement e, string key, int fallback) =>
        e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : fallback;
}
