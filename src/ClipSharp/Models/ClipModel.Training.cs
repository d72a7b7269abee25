using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Letters: N images, M texts, E embed dim, L context length, R resolution.

public sealed partial class ClipModel : ITrainableEncoder
{
    Tensor? ITrainableEncoder.LogitBias => null;
    Tensor ITrainableEncoder.TokenEmbedding => Text.TokenEmbedding;
    string ITrainableEncoder.Describe() => Config.Describe();

    /// <summary>encode_image on a tape: pixels (N, 3, R, R) → (N, E), not normalised.</summary>
    public Variable EncodeImage(Tape tape, Tensor pixels) => Visual.Forward(tape, pixels);

    /// <summary>encode_text on a tape: token ids (M, L) → (M, E), not normalised.</summary>
    public Variable EncodeText(Tape tape, ReadOnlySpan<int> tokens, int count) => Text.Forward(tape, tokens, count);
}
