using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Training;

// Letters: N pairs, E embed dim.

/// <summary>The image–text contrastive objectives, recorded on a tape.</summary>
public static class ContrastiveLoss
{
    /// <summary>
    /// CLIP's symmetric InfoNCE: logits = exp(logit_scale)·norm(image)·norm(text)ᵀ (N, N);
    /// loss = (CE(logits, arange N) + CE(logitsᵀ, arange N)) / 2. image, text: (N, E); logitScale: (1).
    /// </summary>
    public static Variable Clip(Tape tape, Variable image, Variable text, Variable logitScale)
    {
        int n = CheckPairs(image, text);
        var similarity = tape.MatMulTransposed(tape.L2Normalize(image), tape.L2Normalize(text));  // (N, N)
        var logitsPerImage = tape.ScaleByExp(similarity, logitScale);
        var labels = Enumerable.Range(0, n).ToArray();
        var imageLoss = tape.CrossEntropy(logitsPerImage, labels);
        var textLoss = tape.CrossEntropy(tape.Transpose(logitsPerImage), labels);
        return tape.WeightedSum(imageLoss, 0.5f, textLoss, 0.5f);
    }

    /// <summary>
    /// SigLIP's pairwise sigmoid loss: logits = exp(t′)·norm(image)·norm(text)ᵀ + b;
    /// loss = −(1/N) Σ_ij log σ(z_ij·logits_ij), z = +1 on the diagonal and −1 elsewhere.
    /// The paper initialises t′ = ln 10 and b = −10.
    /// </summary>
    public static Variable SigLip(Tape tape, Variable image, Variable text, Variable logScale, Variable bias)
    {
        CheckPairs(image, text);
        var similarity = tape.MatMulTransposed(tape.L2Normalize(image), tape.L2Normalize(text));
        var logits = tape.AddScalar(tape.ScaleByExp(similarity, logScale), bias);
        return tape.SigmoidPairLoss(logits);
    }

    private static int CheckPairs(Variable image, Variable text)
    {
        if (image.Value.Rank != 2 || text.Value.Rank != 2 || image.Shape[0] != text.Shape[0] || image.Shape[1] != text.Shape[1])
            throw new ArgumentException($"contrastive loss needs matching (N, E) embeddings, got image {image.Value.ShapeString} and text {text.Value.ShapeString}");
        return image.Shape[0];
    }
}
