using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models.Siglip;

// Letters: N images, M texts, E embed dim, L context length, R resolution.

public sealed partial class SiglipModel : ITrainableEncoder
{
    Tensor? ITrainableEncoder.LogitBias => LogitBias;
    Tensor ITrainableEncoder.TokenEmbedding => Text.TokenEmbedding;

    /// <summary>"SigLIP FixRes 32px patch 8, width 64, 2 layers, 4 heads | text width 64, ... | embed 64".</summary>
    public string Describe()
    {
        var (v, t) = (Config.Vision, Config.Text);
        string vision = v.NaFlex
            ? $"SigLIP 2 NaFlex patch {v.PatchSize}, {v.NumPatches} positions"
            : $"SigLIP FixRes {v.ImageSize}px patch {v.PatchSize}";
        return $"{vision}, width {v.Tower.Width}, {v.Tower.Layers} layers, {v.Tower.Heads} heads | text width {t.Tower.Width}, " +
            $"{t.Tower.Layers} layers, {t.Tower.Heads} heads, context {t.ContextLength}, vocabulary {t.VocabSize} | embed {Config.EmbedDim}";
    }

    /// <summary>The image tower on a tape (FixRes): pixels (N, 3, R, R) → (N, E), not normalised.</summary>
    public Variable EncodeImage(Tape tape, Tensor pixels) => Vision.Forward(tape, pixels);

    /// <summary>The text tower on a tape: token ids (M, L) → (M, E), not normalised.</summary>
    public Variable EncodeText(Tape tape, ReadOnlySpan<int> tokens, int count) => Text.Forward(tape, tokens, count);
}
