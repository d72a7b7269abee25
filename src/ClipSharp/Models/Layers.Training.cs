using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Training-mode forwards of the layers: the same computation recorded on a tape.

public sealed partial class LayerNormLayer
{
    /// <summary>x: (..., C) → (..., C).</summary>
    public Variable Forward(Tape tape, Variable x) => tape.LayerNorm(x, tape.Param(Weight), tape.Param(Bias), Eps);
}

public sealed partial class LinearLayer
{
    /// <summary>x: (..., I) → (..., O).</summary>
    public Variable Forward(Tape tape, Variable x) =>
        tape.Linear(x, tape.Param(Weight), Bias is null ? null : tape.Param(Bias));
}

public sealed partial class Conv2dLayer
{
    /// <summary>x: (B, I, H, W) → (B, O, H', W').</summary>
    public Variable Forward(Tape tape, Variable x) => tape.Conv2d(x, tape.Param(Weight), Stride, Padding);
}

public sealed partial class BatchNorm2dLayer
{
    /// <summary>
    /// Training mode (nn.BatchNorm2d.train()): normalise with the batch's statistics, update the running
    /// statistics (momentum 0.1, unbiased variance) when the tape says so; optionally followed by ReLU.
    /// </summary>
    public Variable Forward(Tape tape, Variable x, bool relu = false)
    {
        var y = tape.BatchNorm2d(x, tape.Param(Weight), tape.Param(Bias), RunningMean, RunningVar);
        return relu ? tape.Relu(y) : y;
    }
}
