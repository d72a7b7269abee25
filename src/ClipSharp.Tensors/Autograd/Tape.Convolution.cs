using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Convolution and pooling on NCHW data. Letters: B batch, I/O channels, H×W input, P×Q output.
public sealed partial class Tape
{
    /// <summary>Bias-free 2-D convolution: x (B, I, H, W), weight (O, I, K, K) → (B, O, P, Q).</summary>
    public Variable Conv2d(Variable x, Variable weight, int stride = 1, int padding = 0)
    {
        int b = x.Shape[0], i = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int o = weight.Shape[0], kh = weight.Shape[2], kw = weight.Shape[3];
        if (weight.Shape[1] != i) throw new ArgumentException($"conv2d: input {x.Value.ShapeString} has {i} channels, weight {weight.Value.ShapeString}");
        int p = Convolution.OutputSize(h, kh, stride, padding), q = Convolution.OutputSize(w, kw, stride, padding);
        var y = new Tensor(b, o, p, q);
        Convolution.Conv2d(Context, y.Span, x.Data, weight.Data, default, b, i, h, w, o, kh, kw, stride, padding);
        return Result(y, Needs(x, weight), r =>
            Convolution.Conv2dBackward(Context, G(x), G(weight), r.Grad!.Span, x.Data, weight.Data, b, i, h, w, o, kh, kw, stride, padding));
    }

    /// <summary>nn.AvgPool2d(k): (B, C, H, W) → (B, C, H/k, W/k).</summary>
    public Variable AvgPool2d(Variable x, int k)
    {
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = new Tensor(b, c, h / k, w / k);
        Convolution.AvgPool2d(y.Span, x.Data, b, c, h, w, k);
        return Result(y, Needs(x), r => Convolution.AvgPool2dBackward(G(x), r.Grad!.Span, b, c, h, w, k));
    }
}
