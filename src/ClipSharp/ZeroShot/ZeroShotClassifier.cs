using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.ZeroShot;

// Letters: N images, K classes, P prompts per class, E embed dim.

/// <summary>
/// Zero-shot classifier weights built by prompt ensembling, as in the CLIP paper: each prompt's
/// text embedding is L2-normalised, the P prompts of a class are averaged, and the mean is
/// renormalised. Probabilities are softmax(100 · cos(image, class)).
/// </summary>
public sealed class ZeroShotClassifier
{
    /// <summary>The factor OpenAI's zero-shot evaluation multiplies cosine similarities by.</summary>
    public const float LogitScale = 100f;

    public IReadOnlyList<string> Labels { get; }

    /// <summary>Unit-norm class embeddings: (K, E).</summary>
    public Tensor Weights { get; }

    public ZeroShotClassifier(IReadOnlyList<string> labels, Tensor weights)
    {
        if (weights.Rank != 2 || weights.Shape[0] != labels.Count)
            throw new ArgumentException($"classifier weights {weights.ShapeString} do not match {labels.Count} labels");
        Labels = labels;
        Weights = weights;
    }

    /// <summary>
    /// Builds the weights. <paramref name="encodeTexts"/> maps a batch of prompts to unnormalised text
    /// features (P, E); it is called once per class with that class's filled-in templates.
    /// </summary>
    public static ZeroShotClassifier Build(IReadOnlyList<string> labels, IReadOnlyList<string> templates,
        Func<IReadOnlyList<string>, Tensor> encodeTexts, IProgress<int>? progress = null)
    {
        if (labels.Count == 0) throw new ArgumentException("no labels to classify into");
        if (templates.Count == 0) throw new ArgumentException("no prompt templates");
        Tensor? weights = null;
        for (int k = 0; k < labels.Count; k++)
        {
            var prompts = templates.Select(t => PromptSets.Fill(t, labels[k])).ToArray();
            var features = ClipModel.Normalized(encodeTexts(prompts));       // (P, E), unit rows
            int e = features.Shape[1];
            weights ??= new Tensor(labels.Count, e);
            var row = weights.Span.Slice(k * e, e);
            for (int p = 0; p < prompts.Length; p++)
                System.Numerics.Tensors.TensorPrimitives.Add(row, features.Span.Slice(p * e, e), row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, prompts.Length, row);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
            System.Numerics.Tensors.TensorPrimitives.Divide(row, norm, row);
            progress?.Report(k + 1);
        }
        return new ZeroShotClassifier(labels, weights!);
    }

    /// <summary>
    /// Probabilities (N, K) as <paramref name="model"/>'s family defines them: CLIP a softmax over the labels of
    /// 100 · cos (<see cref="Probabilities(ComputeContext, Tensor)"/>); SigLIP each label's own
    /// sigmoid(exp(logit_scale) · cos + logit_bias), independent of the other labels.
    /// </summary>
    public Tensor Probabilities(ComputeContext ctx, Tensor imageFeatures, IImageTextEncoder model) =>
        model.Scoring == ScoreKind.Sigmoid
            ? model.Probabilities(model.Logits(ctx, imageFeatures, Weights))
            : Probabilities(ctx, imageFeatures);

    /// <summary>Cosine similarities (N, K) between images and class embeddings.</summary>
    public Tensor Cosine(ComputeContext ctx, Tensor imageFeatures)
    {
        var img = ClipModel.Normalized(imageFeatures);
        int n = img.Shape[0], e = img.Shape[1], k = Labels.Count;
        if (Weights.Shape[1] != e) throw new ArgumentException($"image features have width {e}, classifier {Weights.Shape[1]}");
        var cos = new Tensor(n, k);
        Gemm.Multiply(ctx, cos.Span, k, img.Span, e, false, Weights.Span, e, true, n, k, e);
        return cos;
    }

    /// <summary>Class probabilities (N, K) = softmax(100 · cos).</summary>
    public Tensor Probabilities(ComputeContext ctx, Tensor imageFeatures)
    {
        var logits = Cosine(ctx, imageFeatures);
        System.Numerics.Tensors.TensorPrimitives.Multiply(logits.Span, LogitScale, logits.Span);
        Softmax.Rows(logits.Span, logits.Shape[0], logits.Shape[1]);
        return logits;
    }

    /// <summary>The <paramref name="k"/> best classes of one row of probabilities, best first.</summary>
    public IReadOnlyList<(string Label, int Index, float Probability)> Top(ReadOnlySpan<float> probabilities, int k)
    {
        var order = Enumerable.Range(0, probabilities.Length).ToArray();
        var probs = probabilities.ToArray();
        Array.Sort(order, (a, b) => probs[b].CompareTo(probs[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order.Take(Math.Min(k, order.Length)).Select(i => (Labels[i], i, probs[i])).ToArray();
    }
}
