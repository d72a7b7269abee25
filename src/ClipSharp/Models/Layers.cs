using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: B batch, T tokens, C channels, R rows (B·T), I/O in/out features.

/// <summary>LayerNorm over the last dimension (eps 1e-5), parameters "{prefix}weight", "{prefix}bias".</summary>
public sealed partial class LayerNormLayer
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public LayerNormLayer(ParameterBuilder p, string prefix, int width)
    {
        Weight = p.Take(prefix + "weight", [width], Init.Ones);
        Bias = p.Take(prefix + "bias", [width], Init.Zeros);
    }

    /// <summary>x: (..., C) → (..., C).</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        int c = Weight.Length;
        var y = Tensor.Uninitialized(x.Shape);
        Normalization.LayerNorm(ctx, y.Span, x.Contiguous().Span, Weight.Span, Bias.Span, x.Length / c, c);
        return y;
    }
}

/// <summary>nn.Linear: y = x Wᵀ + b with W stored (O, I).</summary>
public sealed partial class LinearLayer
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    public LinearLayer(ParameterBuilder p, string prefix, int inFeatures, int outFeatures, Init? weightInit = null, Init? biasInit = null, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = p.Take(prefix + "weight", [outFeatures, inFeatures], weightInit ?? Init.DefaultWeight(inFeatures));
        if (bias) Bias = p.Take(prefix + "bias", [outFeatures], biasInit ?? Init.DefaultBias(inFeatures));
    }

    /// <summary>x: (..., I) → (..., O).</summary>
    /// <summary>y = x Wᵀ + b, then <paramref name="epilogue"/> (e.g. an activation) fused into the GEMM.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x, GemmRowEpilogue? epilogue = null)
    {
        var shape = (int[])x.Shape.Clone();
        shape[^1] = OutFeatures;
        var y = Tensor.Uninitialized(shape);
        Linear.Forward(ctx, y.Span, x.Contiguous().Span, Weight.Span, Bias is null ? default : Bias.Span,
            x.Length / InFeatures, InFeatures, OutFeatures, epilogue: epilogue);
        return y;
    }

    /// <summary>residual += x Wᵀ + b in one pass (the residual add fused into the GEMM); returns residual.</summary>
    public Tensor AddForward(ComputeContext ctx, Tensor x, Tensor residual)
    {
        if (residual.Length != x.Length / InFeatures * OutFeatures)
            throw new ArgumentException($"residual has {residual.Length} values, expected {x.Length / InFeatures * OutFeatures}");
        Linear.Forward(ctx, residual.Span, x.Contiguous().Span, Weight.Span, Bias is null ? default : Bias.Span,
            x.Length / InFeatures, InFeatures, OutFeatures, accumulate: true);
        return residual;
    }
}

/// <summary>nn.Conv2d without bias (every convolution in CLIP is bias-free).</summary>
public sealed partial class Conv2dLayer
{
    public Tensor Weight { get; }
    public int InChannels { get; }
    public int OutChannels { get; }
    public int Kernel { get; }
    public int Stride { get; }
    public int Padding { get; }

    public Conv2dLayer(ParameterBuilder p, string name, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0)
    {
        (InChannels, OutChannels, Kernel, Stride, Padding) = (inChannels, outChannels, kernel, stride, padding);
        Weight = p.Take(name, [outChannels, inChannels, kernel, kernel], Init.DefaultWeight(inChannels * kernel * kernel));
    }

    /// <summary>x: (B, I, H, W) → (B, O, H', W').</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        int b = x.Shape[0], h = x.Shape[2], w = x.Shape[3];
        int oh = Convolution.OutputSize(h, Kernel, Stride, Padding), ow = Convolution.OutputSize(w, Kernel, Stride, Padding);
        var y = new Tensor(b, OutChannels, oh, ow);
        Convolution.Conv2d(ctx, y.Span, x.Contiguous().Span, Weight.Span, default, b, InChannels, h, w, OutChannels, Kernel, Kernel, Stride, Padding);
        return y;
    }
}

/// <summary>nn.BatchNorm2d in inference mode (running statistics, eps 1e-5).</summary>
public sealed partial class BatchNorm2dLayer
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    public BatchNorm2dLayer(ParameterBuilder p, string prefix, int channels, Init? weightInit = null)
    {
        Weight = p.Take(prefix + "weight", [channels], weightInit ?? Init.Ones);
        Bias = p.Take(prefix + "bias", [channels], Init.Zeros);
        RunningMean = p.Take(prefix + "running_mean", [channels], Init.Zeros);
        RunningVar = p.Take(prefix + "running_var", [channels], Init.Ones);
    }

    /// <summary>x: (B, C, H, W) → same shape; optionally followed by ReLU.</summary>
    public Tensor Forward(Tensor x, bool relu = false)
    {
        var y = new Tensor(x.Shape);
        Normalization.BatchNormInference(y.Span, x.Contiguous().Span, x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3],
            Weight.Span, Bias.Span, RunningMean.Span, RunningVar.Span);
        if (relu) Elementwise.Apply<ReluOperator>(y.Span, y.Span);
        return y;
    }
}
