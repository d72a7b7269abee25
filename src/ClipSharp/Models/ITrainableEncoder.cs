using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Letters: N images, M texts, E embed dim, L context length, R resolution.

/// <summary>
/// The training face of a two-tower model (CLIP, SigLIP): its parameters by checkpoint name, both towers'
/// forwards recorded on a tape, and the scalars the contrastive losses read. What the trainer, the
/// checkpoints and freezing need, whichever family the model is.
/// </summary>
public interface ITrainableEncoder : IImageTextEncoder
{
    /// <summary>Every parameter in registration order, under the names its checkpoint format uses.</summary>
    IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; }

    /// <summary>ln(scale), (1) or a scalar.</summary>
    Tensor LogitScale { get; }

    /// <summary>The model's own learned logit bias (SigLIP's logit_bias, (1)); null when the family has none (CLIP).</summary>
    Tensor? LogitBias { get; }

    /// <summary>The token table (V, C), which the optimiser updates row-sparsely.</summary>
    Tensor TokenEmbedding { get; }

    /// <summary>One line: towers, widths, depths (for progress output).</summary>
    string Describe();

    /// <summary>The image tower on a tape: pixels (N, 3, R, R) → (N, E), not normalised.</summary>
    Variable EncodeImage(Tape tape, Tensor pixels);

    /// <summary>The text tower on a tape: token ids (M, L) → (M, E), not normalised.</summary>
    Variable EncodeText(Tape tape, ReadOnlySpan<int> tokens, int count);
}
