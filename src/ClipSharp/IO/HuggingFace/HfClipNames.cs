using System.Text.RegularExpressions;
using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>
/// The explicit map between Hugging Face CLIPModel names and OpenAI/OpenCLIP names (ViT image towers
/// only; HF has no ModifiedResNet). Differences beyond renaming: HF splits attention in_proj into
/// q/k/v (concatenated here in q, k, v order along dim 0), stores the projections as Linear weights
/// (E, W), i.e. transposed relative to OpenAI's (W, E) matrices, and adds position_ids buffers
/// (dropped).
/// </summary>
public static partial class HfClipNames
{
    // HF name → OpenAI name for everything outside the encoder layers.
    private static readonly (string Hf, string OpenAi)[] Fixed =
    [
        ("vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"),
        ("vision_model.embeddings.class_embedding", "visual.class_embedding"),
        ("vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"),
        ("vision_model.pre_layrnorm.weight", "visual.ln_pre.weight"),
        ("vision_model.pre_layrnorm.bias", "visual.ln_pre.bias"),
        ("vision_model.post_layernorm.weight", "visual.ln_post.weight"),
        ("vision_model.post_layernorm.bias", "visual.ln_post.bias"),
        ("text_model.embeddings.token_embedding.weight", "token_embedding.weight"),
        ("text_model.embeddings.position_embedding.weight", "positional_embedding"),
        ("text_model.final_layer_norm.weight", "ln_final.weight"),
        ("text_model.final_layer_norm.bias", "ln_final.bias"),
        ("logit_scale", "logit_scale"),
    ];

    // Inside a layer: HF suffix → OpenAI suffix (q/k/v handled separately).
    private static readonly (string Hf, string OpenAi)[] LayerParts =
    [
        ("self_attn.out_proj.weight", "attn.out_proj.weight"),
        ("self_attn.out_proj.bias", "attn.out_proj.bias"),
        ("layer_norm1.weight", "ln_1.weight"),
        ("layer_norm1.bias", "ln_1.bias"),
        ("mlp.fc1.weight", "mlp.c_fc.weight"),
        ("mlp.fc1.bias", "mlp.c_fc.bias"),
        ("mlp.fc2.weight", "mlp.c_proj.weight"),
        ("mlp.fc2.bias", "mlp.c_proj.bias"),
        ("layer_norm2.weight", "ln_2.weight"),
        ("layer_norm2.bias", "ln_2.bias"),
    ];

    // Transposed projections: HF Linear weight (E, W) ↔ OpenAI matrix (W, E).
    private static readonly (string Hf, string OpenAi)[] Projections =
    [
        ("visual_projection.weight", "visual.proj"),
        ("text_projection.weight", "text_projection"),
    ];

    private static readonly string[] Qkv = ["q", "k", "v"];

    /// <summary>True when the names are Hugging Face CLIPModel names (vision_model.* / text_model.*).</summary>
    public static bool LooksLikeHf(IEnumerable<string> names) =>
        names.Any(n => n.StartsWith("vision_model.", StringComparison.Ordinal) || n.StartsWith("text_model.", StringComparison.Ordinal));

    /// <summary>
    /// Renames a Hugging Face CLIPModel state dict to OpenAI names. Unknown names, and q/k/v groups
    /// with a part missing, throw a <see cref="CheckpointException"/> naming the tensor.
    /// </summary>
    public static StateDict ToOpenAi(StateDict hf, string? format = null, string? detail = null, HfClipConfig? config = null)
    {
        var fixedMap = Fixed.ToDictionary(p => p.Hf, p => p.OpenAi, StringComparer.Ordinal);
        var projMap = Projections.ToDictionary(p => p.Hf, p => p.OpenAi, StringComparer.Ordinal);
        var layerMap = LayerParts.ToDictionary(p => p.Hf, p => p.OpenAi, StringComparer.Ordinal);
        var order = new List<string>();
        var tensors = new Dictionary<string, (Tensor T, string DType)>(StringComparer.Ordinal);
        var qkv = new Dictionary<string, (Tensor?[] Parts, string DType, string FirstHf)>(StringComparer.Ordinal);
        int dropped = 0;
        foreach (var name in hf.Names)
        {
            var t = hf[name];
            var dtype = hf.StoredDtype(name);
            if (name.EndsWith("embeddings.position_ids", StringComparison.Ordinal)) { dropped++; continue; }
            if (fixedMap.TryGetValue(name, out var open)) Put(open, t, dtype);
            else if (projMap.TryGetValue(name, out open)) Put(open, Transposed(hf.Source, name, t), dtype);
            else
            {
                var m = LayerName().Match(name);
                if (!m.Success) throw new CheckpointException(hf.Source, $"unexpected tensor '{name}' for a Hugging Face CLIPModel; expected vision_model.*, text_model.*, *_projection.weight or logit_scale");
                string prefix = (m.Groups[1].Value == "vision_model" ? "visual.transformer" : "transformer") + $".resblocks.{m.Groups[2].Value}.";
                string part = m.Groups[3].Value;
                var q = QkvPart().Match(part);
                if (q.Success)
                {
                    string target = prefix + "attn.in_proj_" + q.Groups[2].Value;
                    if (!qkv.TryGetValue(target, out var group))
                    {
                        group = (new Tensor?[3], dtype, name);
                        qkv[target] = group;
                        order.Add(target);
                    }
                    group.Parts[Array.IndexOf(Qkv, q.Groups[1].Value)] = t;
                }
                else if (layerMap.TryGetValue(part, out var suffix)) Put(prefix + suffix, t, dtype);
                else throw new CheckpointException(hf.Source, $"unexpected tensor '{name}' in an encoder layer; expected self_attn.{{q,k,v,out}}_proj, layer_norm1/2 or mlp.fc1/fc2");
            }
        }
        foreach (var (target, group) in qkv)
        {
            for (int i = 0; i < 3; i++)
                if (group.Parts[i] == null)
                    throw new CheckpointException(hf.Source, $"'{group.FirstHf}' has no matching {Qkv[i]}_proj; expected q, k and v to build '{target}'");
            tensors[target] = (Concat(hf.Source, target, group.Parts!), group.DType);
        }
        var notes = new List<string> { $"Hugging Face names mapped to OpenAI" };
        if (dropped > 0) notes.Add($"{dropped} position_ids buffers dropped");
        var result = new StateDict
        {
            Source = hf.Source,
            Format = format ?? hf.Format,
            Detail = detail ?? string.Join("; ", new[] { hf.Detail }.Where(s => s.Length > 0).Concat(notes)),
            Metadata = hf.Metadata,
            HfConfig = config ?? hf.HfConfig,
        };
        foreach (var n in order) result.Add(n, tensors[n].T, tensors[n].DType);
        return result;

        void Put(string openName, Tensor t, string dtype)
        {
            if (tensors.ContainsKey(openName) || qkv.ContainsKey(openName))
                throw new CheckpointException(hf.Source, $"two tensors map to '{openName}'");
            tensors[openName] = (t, dtype);
            order.Add(openName);
        }
    }

    /// <summary>
    /// Renames an OpenAI-named ViT state dict to Hugging Face CLIPModel names (splitting in_proj into
    /// q/k/v, transposing the projections). ModifiedResNet image towers throw: HF has no equivalent.
    /// </summary>
    public static StateDict ToHf(StateDict openAi)
    {
        var fixedMap = Fixed.ToDictionary(p => p.OpenAi, p => p.Hf, StringComparer.Ordinal);
        var projMap = Projections.ToDictionary(p => p.OpenAi, p => p.Hf, StringComparer.Ordinal);
        var layerMap = LayerParts.ToDictionary(p => p.OpenAi, p => p.Hf, StringComparer.Ordinal);
        if (openAi.Contains("visual.attnpool.c_proj.weight") || openAi.Names.Any(n => n.StartsWith("visual.layer", StringComparison.Ordinal)))
            throw new CheckpointException(openAi.Source, "ModifiedResNet image tower (visual.layer1..4, visual.attnpool): Hugging Face CLIPModel has no equivalent; expected a ViT checkpoint");
        var result = new StateDict { Source = openAi.Source, Format = openAi.Format, Detail = "OpenAI names mapped to Hugging Face", Metadata = openAi.Metadata };
        foreach (var name in openAi.Names)
        {
            var t = openAi[name];
            var dtype = openAi.StoredDtype(name);
            if (fixedMap.TryGetValue(name, out var hfName)) result.Add(hfName, t, dtype);
            else if (projMap.TryGetValue(name, out hfName)) result.Add(hfName, Transposed(openAi.Source, name, t), dtype);
            else
            {
                var m = OpenAiLayerName().Match(name);
                if (!m.Success) throw new CheckpointException(openAi.Source, $"tensor '{name}' has no Hugging Face CLIPModel name");
                string prefix = (m.Groups[1].Value == "visual.transformer" ? "vision_model" : "text_model") + $".encoder.layers.{m.Groups[2].Value}.";
                string part = m.Groups[3].Value;
                if (part is "attn.in_proj_weight" or "attn.in_proj_bias")
                {
                    string kind = part.EndsWith("weight", StringComparison.Ordinal) ? "weight" : "bias";
                    if (t.Dim(0) % 3 != 0)
                        throw new CheckpointException(openAi.Source, $"tensor '{name}': first dimension {t.Dim(0)} is not a multiple of 3 (q, k, v)");
                    int w = t.Dim(0) / 3;
                    for (int i = 0; i < 3; i++) result.Add($"{prefix}self_attn.{Qkv[i]}_proj.{kind}", t.Slice(i * w, w).Clone(), dtype);
                }
                else if (layerMap.TryGetValue(part, out var suffix)) result.Add(prefix + suffix, t, dtype);
                else throw new CheckpointException(openAi.Source, $"tensor '{name}' has no Hugging Face CLIPModel name");
            }
        }
        return result;
    }

    /// <summary>
    /// The HF config of an OpenAI-named ViT state dict, inferred from shapes as OpenAI's build_model does
    /// (heads = width / 64).
    /// </summary>
    public static HfClipConfig InferConfig(StateDict openAi)
    {
        var conv = openAi["visual.conv1.weight"];
        int visionWidth = conv.Dim(0), patch = conv.Dim(-1);
        int grid = (int)Math.Round(Math.Sqrt(openAi["visual.positional_embedding"].Dim(0) - 1));
        int textWidth = openAi["ln_final.weight"].Dim(0);
        int Layers(string prefix) => openAi.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n[prefix.Length..].Split('.')[0]).Distinct().Count();
        var vision = new HfClipVisionConfig(visionWidth, openAi["visual.transformer.resblocks.0.mlp.c_fc.weight"].Dim(0),
            Math.Max(1, visionWidth / 64), Layers("visual.transformer.resblocks."), grid * patch, patch, conv.Dim(1));
        var text = new HfClipTextConfig(textWidth, openAi["transformer.resblocks.0.mlp.c_fc.weight"].Dim(0),
            Math.Max(1, textWidth / 64), Layers("transformer.resblocks."), openAi["token_embedding.weight"].Dim(0),
            openAi["positional_embedding"].Dim(0));
        return new HfClipConfig(text, vision, openAi["text_projection"].Dim(1));
    }

    private static Tensor Transposed(string source, string name, Tensor t)
    {
        if (t.Rank != 2) throw new CheckpointException(source, $"tensor '{name}': shape {t.ShapeString}; expected a matrix");
        return t.Transpose(0, 1).Contiguous();
    }

    private static Tensor Concat(string source, string name, Tensor[] parts)
    {
        var shape = (int[])parts[0].Shape.Clone();
        foreach (var p in parts)
        {
            var rest = p.Shape.Skip(1).SequenceEqual(shape.Skip(1));
            if (p.Rank != shape.Length || !rest)
                throw new CheckpointException(source, $"q/k/v parts of '{name}' have shapes {string.Join(", ", parts.Select(x => x.ShapeString))}; expected matching trailing dimensions");
        }
        shape[0] = parts.Sum(p => p.Dim(0));
        var result = new Tensor(shape);
        int at = 0;
        foreach (var p in parts)
        {
            var src = p.Contiguous().Span;
            src.CopyTo(result.Span.Slice(at));
            at += src.Length;
        }
        return result;
    }

    [GeneratedRegex(@"^(vision_model|text_model)\.encoder\.layers\.(\d+)\.(.+)$")]
    private static partial Regex LayerName();

    [GeneratedRegex(@"^self_attn\.([qkv])_proj\.(weight|bias)$")]
    private static partial Regex QkvPart();

    [GeneratedRegex(@"^(visual\.transformer|transformer)\.resblocks\.(\d+)\.(.+)$")]
    private static partial Regex OpenAiLayerName();
}
