using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Fused losses. Letters: R rows, K classes, N pairs.
public sealed partial class Tape
{
    /// <summary>Fused softmax + cross-entropy, mean over rows: logits (R, K), targets (R) → a one-element loss.</summary>
    public Variable CrossEntropy(Variable logits, int[] targets)
    {
        int rows = logits.Shape[0], k = logits.Length / Math.Max(1, rows);
        if (targets.Length != rows) throw new ArgumentException($"cross-entropy: {targets.Length} targets for {rows} rows");
        var probs = new float[rows * k];
        var loss = new Tensor(new[] { (float)Softmax.CrossEntropy(probs, logits.Data, targets, rows, k) }, 1);
        return Result(loss, Needs(logits), r =>
            Softmax.CrossEntropyBackward(G(logits), r.Grad!.Span[0], probs, targets, rows, k));
    }

    /// <summary>SigLIP's sigmoid loss on square logits (N, N) whose diagonal holds the matching pairs.</summary>
    public Variable SigmoidPairLoss(Variable logits)
    {
        int n = logits.Shape[0];
        if (logits.Value.Rank != 2 || logits.Shape[1] != n) throw new ArgumentException($"sigmoid loss needs square logits, got {logits.Value.ShapeString}");
        var loss = new Tensor(new[] { (float)Softmax.SigmoidPairLoss(logits.Data, n) }, 1);
        return Result(loss, Needs(logits), r => Softmax.SigmoidPairLossBackward(G(logits), r.Grad!.Span[0], logits.Data, n));
    }

    /// <summary>y = a·wa + b·wb for one-element a and b (e.g. the mean of two losses).</summary>
    public Variable WeightedSum(Variable a, float wa, Variable b, float wb)
    {
        var y = new Tensor(new[] { a.Data[0] * wa + b.Data[0] * wb }, 1);
        return Result(y, Needs(a, b), r =>
        {
            float dy = r.Grad!.Span[0];
            if (a.RequiresGrad) G(a)[0] += wa * dy;
            if (b.RequiresGrad) G(b)[0] += wb * dy;
        });
    }
}
