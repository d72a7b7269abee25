using ClipSharp.Tensors;

namespace ClipSharp.Models;

/// <summary>How a model turns a pair's logit into a probability.</summary>
public enum ScoreKind
{
    /// <summary>CLIP: softmax over the texts (labels compete; a row sums to 1).</summary>
    Softmax,

    /// <summary>SigLIP: sigmoid of each pair's logit (labels are independent; a row need not sum to 1).</summary>
    Sigmoid,
}

/// <summary>
/// The family-neutral face of a two-tower model (CLIP, SigLIP): what <see cref="ClipPipeline"/> and the commands
/// need to encode texts and images and to score them. Embeddings are not normalised; similarity is their cosine.
/// </summary>
public interface IImageTextEncoder
{
    /// <summary>"clip" or "siglip" (for messages).</summary>
    string Family { get; }

    /// <summary>How <see cref="Logits"/> become probabilities.</summary>
    ScoreKind Scoring { get; }

    /// <summary>Token positions of the text tower.</summary>
    int ContextLength { get; }

    /// <summary>Square input resolution of the image tower.</summary>
    int ImageSize { get; }

    /// <summary>Embedding width E.</summary>
    int EmbedDim { get; }

    /// <summary>Prepared linear weights for a pipeline's session (<see cref="ComputeContext.WithWeights"/>).</summary>
    InferenceWeights PrepareForInference(Precision precision = Precision.Float32, ComputeContext? ctx = null);

    /// <summary>Pixels (N, 3, R, R) → (N, E).</summary>
    Tensor EncodeImage(ComputeContext ctx, Tensor pixels);

    /// <summary>Token ids (M, L) → (M, E).</summary>
    Tensor EncodeText(ComputeContext ctx, ReadOnlySpan<int> tokens, int count);

    /// <summary>The model's own pair logits (N, M).</summary>
    Tensor Logits(ComputeContext ctx, Tensor imageFeatures, Tensor textFeatures);

    /// <summary>Logits (N, M) → probabilities: softmax over each row, or a sigmoid per pair (see <see cref="Scoring"/>).</summary>
    Tensor Probabilities(Tensor logits);
}
