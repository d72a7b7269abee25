using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Normalisations. Letters: R rows, C channels, B batch, S spatial positions.
public sealed partial class Tape
{
    /// <summary>LayerNorm over the last dimension (eps 1e-5): x (..., C), weight and bias (C).</summary>
    public Variable LayerNorm(Variable x, Variable weight, Variable bias, float eps = 1e-5f)
    {
        int c = weight.Length, rows = x.Length / c;
        if (x.Shape[^1] != c) throw new ArgumentException($"layernorm: input {x.Value.ShapeString} does not end in {c} channels");
        var y = new Tensor(x.Shape);
        Normalization.LayerNorm(Context, y.Span, x.Data, weight.Data, bias.Data, rows, c, eps);
        return Result(y, Needs(x, weight, bias), r =>
            Normalization.LayerNormBackward(G(x), G(weight), G(bias), r.Grad!.Span, x.Data, weight.Data, rows, c, eps));
    }

    /// <summary>
    /// BatchNorm2d in training mode on x (B, C, H, W): normalises with the batch's statistics and,
    /// when <see cref="UpdateRunningStatistics"/>, updates runningMean/runningVar in place
    /// (momentum 0.1, unbiased variance for runningVar, as PyTorch).
    /// </summary>
    public Variable BatchNorm2d(Variable x, Variable weight, Variable bias, Tensor runningMean, Tensor runningVar,
        float momentum = 0.1f, float eps = 1e-5f)
    {
        int b = x.Shape[0], c = x.Shape[1], s = x.Length / Math.Max(1, b * c);
        if (weight.Length != c) throw new ArgumentException($"batchnorm: input {x.Value.ShapeString} has {c} channels, weight has {weight.Length}");
        var y = new Tensor(x.Shape);
        var mean = new float[c];
        var invStd = new float[c];
        Normalization.BatchNormTraining(y.Span, mean, invStd, x.Data, b, c, s, weight.Data, bias.Data,
            UpdateRunningStatistics ? runningMean.Span : default, UpdateRunningStatistics ? runningVar.Span : default, momentum, eps);
        return Result(y, Needs(x, weight, bias), r =>
            Normalization.BatchNormBackward(G(x), G(weight), G(bias), r.Grad!.Span, x.Data, weight.Data, mean, invStd, b, c, s));
    }

    /// <summary>Each row divided by its L2 norm: x (R, C) → x / ‖x‖₂ (CLIP's feature normalisation).</summary>
    public Variable L2Normalize(Variable x)
    {
        int c = x.Shape[^1], rows = x.Length / c;
        var y = new Tensor(x.Shape);
        Normalization.L2NormalizeRows(y.Span, x.Data, rows, c);
        return Result(y, Needs(x), r =>
            Normalization.L2NormalizeRowsBackward(G(x), r.Grad!.Span, x.Data, y.Span, rows, c));
    }
}
