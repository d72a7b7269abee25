using System.Text.RegularExpressions;
using ClipSharp.Models;
using ClipSharp.Models.Siglip;
using ClipSharp.Tensors;

namespace ClipSharp.Training;

/// <summary>
/// Which towers are locked (open_clip's --lock-image / --lock-text). A locked tower may leave its last
/// N layer groups trainable. Groups, first to last: ViT — stem (conv1, class/positional embeddings,
/// ln_pre), each residual block, head (ln_post, proj); ModifiedResNet — stem (conv1–3, bn1–3), layer1–4,
/// attnpool; CLIP text — embeddings (token, positional), each residual block, head (ln_final,
/// text_projection); SigLIP towers — embeddings, each encoder layer, head (vision: post_layernorm and the
/// MAP head; text: final_layer_norm and head). logit_scale (and SigLIP's logit_bias) is always trainable.
/// </summary>
public sealed record FreezeOptions
{
    public bool LockImage { get; init; }
    public int ImageUnlockedGroups { get; init; }
    public bool LockText { get; init; }
    public int TextUnlockedGroups { get; init; }

    public static FreezeOptions None { get; } = new();
}

public static partial class Freezing
{
    /// <summary>
    /// The parameters that train under <paramref name="freeze"/>, in registration order. BatchNorm
    /// running statistics are buffers, never trained.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, Tensor>> Trainable(ITrainableEncoder model, FreezeOptions freeze)
    {
        var (imagePrefix, imageGroups, textGroups) = model switch
        {
            ClipModel clip => ("visual.", clip.Config.Vision switch
            {
                VitConfig v => v.Layers + 2,
                ResNetConfig => 6,
                _ => throw new ArgumentException($"unsupported vision config {clip.Config.Vision.GetType().Name}"),
            }, clip.Config.Text.Layers + 2),
            SiglipModel siglip => ("vision_model.", siglip.Config.Vision.Tower.Layers + 2, siglip.Config.Text.Tower.Layers + 2),
            _ => throw new ArgumentException($"freezing does not know the parameter groups of {model.GetType().Name}"),
        };
        var result = new List<KeyValuePair<string, Tensor>>();
        foreach (var kv in model.Parameters)
        {
            string name = kv.Key;
            if (IsBuffer(name)) continue;
            if (name is "logit_scale" or "logit_bias") { result.Add(kv); continue; }
            bool image = name.StartsWith(imagePrefix, StringComparison.Ordinal);
            bool locked = image ? freeze.LockImage : freeze.LockText;
            if (locked)
            {
                int count = image ? imageGroups : textGroups, unlocked = image ? freeze.ImageUnlockedGroups : freeze.TextUnlockedGroups;
                if (GroupOf(name, count) < count - unlocked) continue;
            }
            result.Add(kv);
        }
        return result;
    }

    /// <summary>BatchNorm running statistics: state, not parameters.</summary>
    public static bool IsBuffer(string name) =>
        name.EndsWith(".running_mean", StringComparison.Ordinal) || name.EndsWith(".running_var", StringComparison.Ordinal);

    /// <summary>The layer group (0-based, of <paramref name="count"/>) a parameter belongs to.</summary>
    public static int GroupOf(string name, int count)
    {
        var block = ResBlock().Match(name);
        if (block.Success) return 1 + int.Parse(block.Groups[1].Value);
        var layer = SiglipLayer().Match(name);
        if (layer.Success) return 1 + int.Parse(layer.Groups[1].Value);
        var stage = ResNetStage().Match(name);
        if (stage.Success) return int.Parse(stage.Groups[1].Value);
        if (name.StartsWith("visual.attnpool.", StringComparison.Ordinal) || name.StartsWith("visual.ln_post.", StringComparison.Ordinal)
            || name == "visual.proj" || name.StartsWith("ln_final.", StringComparison.Ordinal) || name == "text_projection"
            || name.StartsWith("vision_model.post_layernorm.", StringComparison.Ordinal) || name.StartsWith("vision_model.head.", StringComparison.Ordinal)
            || name.StartsWith("text_model.final_layer_norm.", StringComparison.Ordinal) || name.StartsWith("text_model.head.", StringComparison.Ordinal))
            return count - 1;
        return 0;
    }

    [GeneratedRegex(@"transformer\.resblocks\.(\d+)\.")]
    private static partial Regex ResBlock();

    [GeneratedRegex(@"^(?:vision|text)_model\.encoder\.layers\.(\d+)\.")]
    private static partial Regex SiglipLayer();

    [GeneratedRegex(@"^visual\.layer(\d)\.")]
    private static partial Regex ResNetStage();
}
