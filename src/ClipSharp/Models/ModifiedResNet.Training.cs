using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Letters: B batch, C channels, H×W spatial size, E embed dim. BatchNorm runs in training mode.

public sealed partial class ModifiedResNet
{
    /// <summary>Training forward: pixels (B, 3, R, R) → features (B, E).</summary>
    public Variable Forward(Tape tape, Tensor pixels)
    {
        VisionTransformer.CheckPixels(pixels, Config.ImageSize);
        var x = Bn1.Forward(tape, Conv1.Forward(tape, tape.Constant(pixels)), relu: true);
        x = Bn2.Forward(tape, Conv2.Forward(tape, x), relu: true);
        x = Bn3.Forward(tape, Conv3.Forward(tape, x), relu: true);
        x = tape.AvgPool2d(x, 2);
        foreach (var stage in Stages)
            foreach (var block in stage) x = block.Forward(tape, x);
        return AttnPool.Forward(tape, x);
    }
}

public sealed partial class Bottleneck
{
    /// <summary>x: (B, Cin, H, W) → (B, 4·planes, H/stride, W/stride).</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        var y = Bn1.Forward(tape, Conv1.Forward(tape, x), relu: true);
        y = Bn2.Forward(tape, Conv2.Forward(tape, y), relu: true);
        if (Stride > 1) y = tape.AvgPool2d(y, Stride);
        y = Bn3.Forward(tape, Conv3.Forward(tape, y));
        var identity = x;
        if (DownsampleConv is not null)
        {
            var pooled = Stride > 1 ? tape.AvgPool2d(x, Stride) : x;
            identity = DownsampleBn!.Forward(tape, DownsampleConv.Forward(tape, pooled));
        }
        return tape.Relu(tape.Add(y, identity));
    }
}

public sealed partial class AttentionPool2d
{
    /// <summary>x: (B, C, H, W) → (B, E); only the mean token's output is needed, so it alone queries.</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        int b = x.Shape[0], c = x.Shape[1];
        var tokens = tape.MeanTokenAndMap(x);                                            // (B, T, C)
        tokens = tape.AddBroadcast(tokens, tape.Param(PositionalEmbedding));
        var k = KProj.Forward(tape, tokens);                                             // (B, T, C)
        var v = VProj.Forward(tape, tokens);
        var query = tape.Reshape(tape.Gather(tokens, new int[b]), b, 1, c);             // (B, 1, C)
        var q = QProj.Forward(tape, query);
        var pooled = tape.Attention(q, k, v, Heads);                                     // (B, 1, C)
        return tape.Reshape(CProj.Forward(tape, pooled), b, -1);                         // (B, E)
    }
}
