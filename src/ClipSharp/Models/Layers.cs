using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: B batch, T tokens, C channels, R rows (B·T), I/O in/out features.

/// <summary>LayerNorm over the last dimension (eps 1e-5), parameters "{prefix}weight", "{prefix}bias".</summary>
public sealed partial class LayerNormLayer
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    /// <summary>ε added to the variance (CLIP 1e-5, SigLIP 1e-6).</summary>
    public float Eps { get; }

    public LayerNormLayer(ParameterBuilder p, string prefix, int width, float eps = 1e-5f)
    {
        Weight = p.Take(prefix + "weight", [width], Init.Ones);
        Bias = p.Take(prefix + "bias", [width], Init.Zeros);
        Eps = eps;
    }

    /// <summary>x: (..., C) → (..., C), written to <paramref name="output"/> (same length as x) when given.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x, Tensor? output = null)
    {
        int c = Weight.Length;
        var y = LayerOutput.Into(output, x.Length, x.Shape);
        Normalization.LayerNorm(ctx, y.Span, x.Contiguous().Span, Weight.Span, Bias.Span, x.Length / c, c, Eps);
        return y;
    }
}

/// <summary>Where a layer writes its result: the caller's buffer, checked for size, or a new tensor.</summary>
internal static class LayerOutput
{
    public static Tensor Into(Tensor? output, int length, int[] shape)
    {
        if (output is null) return Tensor.Uninitialized(shape);
        if (output.Length != length || !output.IsContiguous)
            throw new ArgumentException($"output buffer has {output.Length} values{(output.IsContiguous ? "" : " and is not contiguous")}, expected {length} contiguous");
        return output;
    }
}

/// <summary>nn.Linear: y = x Wᵀ + b with W stored (O, I).</summary>
public sealed partial class LinearLayer
{
    /// <summary>W (O, I); for a derived layer, computed from its source on each use (sessions keep their own copy).</summary>
    public Tensor Weight => _weight ?? _derive!();
    private readonly Tensor? _weight;
    private readonly Func<Tensor>? _derive;
    /// <summary>b (O) or null; for a derived layer with a derived bias, computed from its source on each use.</summary>
    public Tensor? Bias => _bias ?? _deriveBias?.Invoke();
    private readonly Tensor? _bias;
    private readonly Func<Tensor>? _deriveBias;
    public int InFeatures { get; }
    public int OutFeatures { get; }

    public LinearLayer(ParameterBuilder p, string prefix, int inFeatures, int outFeatures, Init? weightInit = null, Init? biasInit = null, bool bias = true)
        : this(p, prefix + "weight", bias ? prefix + "bias" : null, inFeatures, outFeatures, weightInit, biasInit)
    {
    }

    /// <summary>A linear layer whose parameters have their own names (nn.MultiheadAttention's in_proj_weight/in_proj_bias).</summary>
    public LinearLayer(ParameterBuilder p, string weightName, string? biasName, int inFeatures, int outFeatures, Init? weightInit = null, Init? biasInit = null)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        _weight = p.Take(weightName, [outFeatures, inFeatures], weightInit ?? Init.DefaultWeight(inFeatures));
        if (biasName is not null) _bias = p.Take(biasName, [outFeatures], biasInit ?? Init.DefaultBias(inFeatures));
    }

    private LinearLayer(Tensor weight, Tensor? bias)
    {
        (_weight, _bias) = (weight, bias);
        (OutFeatures, InFeatures) = (weight.Shape[0], weight.Shape[1]);
    }

    private LinearLayer(Func<Tensor> derive, Func<Tensor>? deriveBias, int inFeatures, int outFeatures)
    {
        (_derive, _deriveBias, InFeatures, OutFeatures) = (derive, deriveBias, inFeatures, outFeatures);
    }

    /// <summary>
    /// An inference-only linear layer whose (O, I) weight (and, when <paramref name="deriveBias"/> is given, (O)
    /// bias) is computed from other parameters (e.g. a convolution's weight permuted to channels-last order,
    /// or SigLIP's q, k, v projections stacked into one). Nothing is cached in the layer, so training the
    /// source parameters never leaves it stale: an inference session (<see cref="PrepareForInference"/>)
    /// keeps its own prepared copy of the weight.
    /// </summary>
    public static LinearLayer Derived(Func<Tensor> derive, int inFeatures, int outFeatures, Func<Tensor>? deriveBias = null) =>
        new(derive, deriveBias, inFeatures, outFeatures);

    /// <summary>
    /// A linear layer over existing parameters (shared, not copied): <paramref name="weight"/> (O, I),
    /// e.g. a view of a convolution's weight that acts on flattened patches.
    /// </summary>
    public static LinearLayer Over(Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || !weight.IsContiguous) throw new ArgumentException($"linear weight must be a contiguous (O, I) matrix, got {weight.ShapeString}");
        if (bias is not null && bias.Length != weight.Shape[0]) throw new ArgumentException($"bias has {bias.Length} values, expected {weight.Shape[0]}");
        return new LinearLayer(weight, bias);
    }

    /// <summary>
    /// The inference copy of this layer's weight for an <see cref="InferenceWeights"/> table: float32 Wᵀ
    /// rearranged once into the GEMM's panel layout, or int8 (W quantised once per output channel, to the
    /// levels this CPU's fastest kernel takes, <see cref="Int8Linear.WeightLevels"/>; activations per row on each
    /// call, see <see cref="Int8Linear"/>). The layer itself keeps nothing,
    /// so the copy belongs to whoever asked for it and goes stale only for them if W later changes.
    /// </summary>
    public object PrepareForInference(Precision precision, ComputeContext? ctx = null) => precision == Precision.Int8
        ? Int8Weights.Quantize(Weight.Span, OutFeatures, InFeatures, Int8Linear.WeightLevels(ctx?.Isa ?? ComputeContext.DetectIsa()))
        : Gemm.PackB(Weight.Span, InFeatures, transB: true, k: InFeatures, n: OutFeatures, ctx);

    /// <summary>
    /// x: (..., I) → y = x Wᵀ + b, (..., O), then <paramref name="epilogue"/> (e.g. an activation) fused
    /// into the GEMM. y is written to <paramref name="output"/> (a contiguous buffer of y's length) when given.
    /// </summary>
    public Tensor Forward(ComputeContext ctx, Tensor x, GemmRowEpilogue? epilogue = null, Tensor? output = null)
    {
        var shape = (int[])x.Shape.Clone();
        shape[^1] = OutFeatures;
        var y = LayerOutput.Into(output, x.Length / InFeatures * OutFeatures, shape);
        Multiply(ctx, y, x, accumulate: false, epilogue);
        return y;
    }

    /// <summary>residual += x Wᵀ + b in one pass (the residual add fused into the GEMM); returns residual.</summary>
    public Tensor AddForward(ComputeContext ctx, Tensor x, Tensor residual)
    {
        if (residual.Length != x.Length / InFeatures * OutFeatures)
            throw new ArgumentException($"residual has {residual.Length} values, expected {x.Length / InFeatures * OutFeatures}");
        Multiply(ctx, residual, x, accumulate: true, epilogue: null);
        return residual;
    }

    private void Multiply(ComputeContext ctx, Tensor y, Tensor x, bool accumulate, GemmRowEpilogue? epilogue)
    {
        var b = Bias;
        var bias = b is null ? default : b.Span;
        int rows = x.Length / InFeatures;
        var prepared = ctx.Weights?.Find(this);
        if (prepared is Int8Weights quantized)
            Int8Linear.Forward(ctx, y.Span, x.Contiguous().Span, quantized, bias, rows, accumulate, epilogue);
        else if (prepared is PackedMatrix packed)
            Gemm.Multiply(ctx, y.Span, OutFeatures, x.Contiguous().Span, InFeatures, packed, rows, accumulate, bias, epilogue: epilogue);
        else
            Linear.Forward(ctx, y.Span, x.Contiguous().Span, Weight.Span, bias, rows, InFeatures, OutFeatures, accumulate, epilogue);
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

    /// <summary>
    /// The inference transform per channel, y = x·scale + shift with scale = γ / √(var + ε) and
    /// shift = β − mean·scale (applied as two roundings, x·scale then + shift).
    /// </summary>
    public (float[] Scale, float[] Shift) ScaleShift()
    {
        int c = Weight.Length;
        var (scale, shift) = (new float[c], new float[c]);
        for (int i = 0; i < c; i++)
        {
            scale[i] = Weight.Span[i] / MathF.Sqrt(RunningVar.Span[i] + 1e-5f);
            shift[i] = Bias.Span[i] - RunningMean.Span[i] * scale[i];
        }
        return (scale, shift);
    }
}
