using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: B batch, C channels, H×W spatial size, E embed dim.

/// <summary>Image tower: anything that maps (B, 3, R, R) pixels to (B, E) features.</summary>
public interface IImageTower
{
    int ImageSize { get; }
    Tensor Forward(ComputeContext ctx, Tensor pixels);

    /// <summary>The tower's linear layers (what inference packing applies to).</summary>
    IEnumerable<LinearLayer> LinearLayers { get; }

    /// <summary>Training forward on a tape: pixels (B, 3, R, R) → features (B, E), not normalised.</summary>
    Variable Forward(Tape tape, Tensor pixels);
}

/// <summary>
/// OpenAI's ModifiedResNet: a three-convolution stem with an average pool, four stages of
/// bottlenecks whose stride is an average pool before the last convolution, and attention pooling.
/// </summary>
public sealed partial class ModifiedResNet : IImageTower
{
    public ResNetConfig Config { get; }
    public Conv2dLayer Conv1 { get; }
    public BatchNorm2dLayer Bn1 { get; }
    public Conv2dLayer Conv2 { get; }
    public BatchNorm2dLayer Bn2 { get; }
    public Conv2dLayer Conv3 { get; }
    public BatchNorm2dLayer Bn3 { get; }
    public IReadOnlyList<IReadOnlyList<Bottleneck>> Stages { get; }
    public AttentionPool2d AttnPool { get; }

    /// <summary>Every convolution as a GEMM on channels-last activations, then attention pooling's projections.</summary>
    public IEnumerable<LinearLayer> LinearLayers =>
        new[] { _conv1, _conv2, _conv3 }.Concat(Stages.SelectMany(stage => stage).SelectMany(block => block.Convolutions))
            .Select(conv => conv.Linear)
            .Concat([AttnPool.KProj, AttnPool.QProj, AttnPool.VProj, AttnPool.CProj]);

    private readonly ConvGemm _conv1, _conv2, _conv3;

    public ModifiedResNet(ParameterBuilder p, ResNetConfig cfg, int embedDim)
    {
        Config = cfg;
        int w = cfg.Width;
        Conv1 = new Conv2dLayer(p, "visual.conv1.weight", 3, w / 2, 3, stride: 2, padding: 1);
        Bn1 = new BatchNorm2dLayer(p, "visual.bn1.", w / 2);
        Conv2 = new Conv2dLayer(p, "visual.conv2.weight", w / 2, w / 2, 3, padding: 1);
        Bn2 = new BatchNorm2dLayer(p, "visual.bn2.", w / 2);
        Conv3 = new Conv2dLayer(p, "visual.conv3.weight", w / 2, w, 3, padding: 1);
        Bn3 = new BatchNorm2dLayer(p, "visual.bn3.", w);
        (_conv1, _conv2, _conv3) = (new ConvGemm(Conv1), new ConvGemm(Conv2), new ConvGemm(Conv3));
        var stages = new List<IReadOnlyList<Bottleneck>>();
        int inplanes = w;
        for (int s = 0; s < 4; s++)
        {
            int planes = w << s, stride = s == 0 ? 1 : 2;
            var blocks = new List<Bottleneck>();
            for (int i = 0; i < cfg.Layers[s]; i++)
            {
                blocks.Add(new Bottleneck(p, $"visual.layer{s + 1}.{i}.", inplanes, planes, i == 0 ? stride : 1));
                inplanes = planes * Bottleneck.Expansion;
            }
            stages.Add(blocks);
        }
        Stages = stages;
        AttnPool = new AttentionPool2d(p, "visual.attnpool.", cfg.PoolGrid, cfg.PoolWidth, cfg.Heads, embedDim);
    }

    public int ImageSize => Config.ImageSize;

    /// <summary>
    /// pixels: (B, 3, R, R) → features (B, E), not normalised. Runs channels-last: every convolution is
    /// one GEMM over all images with its BatchNorm (and ReLU, and a block's residual add) fused into the
    /// GEMM's epilogue; taps still see (B, C, H, W). Every activation up to attention pooling is rented
    /// (<see cref="ComputeContext.Rent"/>) and handed back as soon as the next layer has read it.
    /// </summary>
    public Tensor Forward(ComputeContext ctx, Tensor pixels)
    {
        VisionTransformer.CheckPixels(pixels, Config.ImageSize);
        int b = pixels.Shape[0], r = Config.ImageSize;
        var x = ctx.Rent(b, r, r, 3);
        Convolution.Transpose(x.Span, pixels.Contiguous().Span, b, 3, r * r, toChannelsLast: true);
        x = Consume(ctx, x, _conv1.Forward(ctx, x, ConvGemm.Normalize(Bn1, ctx, relu: true)));
        x = Consume(ctx, x, _conv2.Forward(ctx, x, ConvGemm.Normalize(Bn2, ctx, relu: true)));
        x = Consume(ctx, x, _conv3.Forward(ctx, x, ConvGemm.Normalize(Bn3, ctx, relu: true)));
        x = Consume(ctx, x, AvgPool(ctx, x, 2));
        Observe(ctx, "visual.stem_0", x);
        for (int s = 0; s < Stages.Count; s++)
        {
            foreach (var block in Stages[s]) x = Consume(ctx, x, block.Forward(ctx, x));
            Observe(ctx, $"visual.layer_{s + 1}", x);
        }
        return Consume(ctx, x, AttnPool.Forward(ctx, x));
    }

    /// <summary>Returns the rented <paramref name="input"/> to the pool once <paramref name="output"/> no longer needs it.</summary>
    internal static Tensor Consume(ComputeContext ctx, Tensor input, Tensor output)
    {
        ctx.Return(input);
        return output;
    }

    /// <summary>Taps see the reference's (B, C, H, W) layout.</summary>
    private static void Observe(ComputeContext ctx, string name, Tensor channelsLast)
    {
        if (ctx.Tap is null) return;
        int b = channelsLast.Shape[0], h = channelsLast.Shape[1], w = channelsLast.Shape[2], c = channelsLast.Shape[3];
        var nchw = new Tensor(b, c, h, w);
        Convolution.Transpose(nchw.Span, channelsLast.Span, b, c, h * w, toChannelsLast: false);
        ctx.Observe(name, nchw);
    }

    /// <summary>nn.AvgPool2d(k) on channels-last data: (B, H, W, C) → (B, H/k, W/k, C).</summary>
    internal static Tensor AvgPool(ComputeContext ctx, Tensor x, int k)
    {
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3];
        var y = ctx.Rent(b, h / k, w / k, c);
        Convolution.AvgPool2dNhwc(ctx, y.Span, x.Span, b, h, w, c, k);
        return y;
    }
}

/// <summary>
/// A bias-free convolution run as a GEMM on channels-last activations (B, H, W, C): a 1×1 kernel is a
/// linear layer over channels sharing the convolution's weight; a k×k kernel multiplies im2col rows in
/// (kernel row, kernel column, channel) order by the weight permuted to (O, KH, KW, I), derived on use.
/// In fp32 the GEMM gathers those rows itself (<see cref="Gemm.MultiplyConvolution"/>); int8 builds them.
/// </summary>
internal sealed class ConvGemm
{
    /// <summary>Largest im2col block built at once for int8 (floats); bigger batches are done a few images at a time.</summary>
    private const long Im2ColFloats = 8L << 20;

    public Conv2dLayer Conv { get; }
    public LinearLayer Linear { get; }

    public ConvGemm(Conv2dLayer conv)
    {
        Conv = conv;
        int o = conv.OutChannels, i = conv.InChannels, k = conv.Kernel;
        Linear = k == 1
            ? LinearLayer.Over(conv.Weight.Reshape(o, i))
            : LinearLayer.Derived(() => ChannelsLastWeight(conv.Weight, o, i, k), k * k * i, o);
    }

    private bool IsPointwise => Conv.Kernel == 1 && Conv.Stride == 1 && Conv.Padding == 0;

    /// <summary>
    /// x (B, H, W, I) → (B, P, Q, O), rented (<see cref="ComputeContext.Rent"/>); <paramref name="epilogue"/> runs on each
    /// finished row segment.
    /// </summary>
    public Tensor Forward(ComputeContext ctx, Tensor x, GemmRowEpilogue? epilogue)
    {
        int b = x.Shape[0], h = x.Shape[1], w = x.Shape[2], c = x.Shape[3], k = Conv.Kernel;
        int p = Convolution.OutputSize(h, k, Conv.Stride, Conv.Padding), q = Convolution.OutputSize(w, k, Conv.Stride, Conv.Padding);
        var y = ctx.Rent(b, p, q, Conv.OutChannels);
        if (IsPointwise) return Linear.Forward(ctx, x.Contiguous(), epilogue, output: y);
        var prepared = ctx.Weights?.Find(Linear);
        if (prepared is not Int8Weights)
        {
            // fp32: the GEMM gathers each row's receptive field into its packed A block (no im2col matrix in memory).
            var packed = prepared as PackedMatrix ?? Gemm.PackB(Linear.Weight.Span, Linear.InFeatures, transB: true, Linear.InFeatures, Linear.OutFeatures, ctx);
            var shape = new ConvolutionShape(b, h, w, c, k, k, Conv.Stride, Conv.Padding);
            Gemm.MultiplyConvolution(ctx, y.Span, x.Contiguous().Span, shape, packed, epilogue: epilogue);
            return y;
        }
        int depth = k * k * c, rowsPerImage = p * q;
        int images = (int)Math.Clamp(Im2ColFloats / ((long)rowsPerImage * depth), 1, b);
        // Pooled: up to 32 MiB per convolution per forward, which fresh would cost page faults every call.
        var storage = ctx.Pool.Rent(images * rowsPerImage * depth);
        try
        {
            var rows = new Tensor(storage, 0, [images * rowsPerImage, depth], [depth, 1]);
            var input = x.Contiguous();
            for (int n = 0; n < b; n += images)
            {
                int count = Math.Min(images, b - n);
                var block = count == images ? rows : rows.Slice(0, count * rowsPerImage);
                Convolution.Im2ColNhwc(ctx, block.Span, input.Span.Slice(n * h * w * c, count * h * w * c), count, h, w, c, k, k, Conv.Stride, Conv.Padding);
                // The epilogue sees rows of this block; shift them to rows of the whole batch.
                int first = n * rowsPerImage;
                GemmRowEpilogue? shifted = epilogue is null ? null : (values, row, column) => epilogue(values, first + row, column);
                Linear.Forward(ctx, block, shifted, output: y.Reshape(b * rowsPerImage, Conv.OutChannels).Slice(first, count * rowsPerImage));
            }
        }
        finally
        {
            ctx.Pool.Return(storage);
        }
        return y;
    }

    /// <summary>BatchNorm (and optionally a residual add, then ReLU) applied to GEMM rows of channels.</summary>
    public static GemmRowEpilogue Normalize(BatchNorm2dLayer bn, ComputeContext ctx, bool relu, Tensor? residual = null)
    {
        var (scale, shift) = bn.ScaleShift();
        int channels = scale.Length;
        var isa = ctx.Isa;
        return (values, row, column) => AffineEpilogue.Apply(values, scale.AsSpan(column, values.Length), shift.AsSpan(column, values.Length),
            residual is null ? default : residual.Span.Slice(row * channels + column, values.Length), relu, isa);
    }

    /// <summary>(O, I, K, K) → (O, K·K·I) in (kernel row, kernel column, channel) order.</summary>
    private static Tensor ChannelsLastWeight(Tensor weight, int o, int i, int k)
    {
        var result = Tensor.Uninitialized(o, k * k * i);
        var src = weight.Contiguous().Span;
        var dst = result.Span;
        for (int oc = 0; oc < o; oc++)
            for (int ic = 0; ic < i; ic++)
                for (int uv = 0; uv < k * k; uv++)
                    dst[(oc * k * k + uv) * i + ic] = src[(oc * i + ic) * k * k + uv];
        return result;
    }
}

/// <summary>
/// Bottleneck (expansion 4): 1×1, 3×3, avgpool(stride), 1×1, each conv followed by BatchNorm; the
/// shortcut is avgpool(stride) → 1×1 conv → BatchNorm when the stride or width changes.
/// </summary>
public sealed partial class Bottleneck
{
    public const int Expansion = 4;
    public Conv2dLayer Conv1 { get; }
    public BatchNorm2dLayer Bn1 { get; }
    public Conv2dLayer Conv2 { get; }
    public BatchNorm2dLayer Bn2 { get; }
    public Conv2dLayer Conv3 { get; }
    public BatchNorm2dLayer Bn3 { get; }
    public Conv2dLayer? DownsampleConv { get; }
    public BatchNorm2dLayer? DownsampleBn { get; }
    public int Stride { get; }

    public Bottleneck(ParameterBuilder p, string prefix, int inplanes, int planes, int stride)
    {
        Stride = stride;
        Conv1 = new Conv2dLayer(p, prefix + "conv1.weight", inplanes, planes, 1);
        Bn1 = new BatchNorm2dLayer(p, prefix + "bn1.", planes);
        Conv2 = new Conv2dLayer(p, prefix + "conv2.weight", planes, planes, 3, padding: 1);
        Bn2 = new BatchNorm2dLayer(p, prefix + "bn2.", planes);
        Conv3 = new Conv2dLayer(p, prefix + "conv3.weight", planes, planes * Expansion, 1);
        // The reference zero-initialises the last BatchNorm's weight of every block.
        Bn3 = new BatchNorm2dLayer(p, prefix + "bn3.", planes * Expansion, Init.Zeros);
        if (stride > 1 || inplanes != planes * Expansion)
        {
            // downsample.-1 is the parameter-free AvgPool2d(stride).
            DownsampleConv = new Conv2dLayer(p, prefix + "downsample.0.weight", inplanes, planes * Expansion, 1);
            DownsampleBn = new BatchNorm2dLayer(p, prefix + "downsample.1.", planes * Expansion);
            _downsample = new ConvGemm(DownsampleConv);
        }
        (_conv1, _conv2, _conv3) = (new ConvGemm(Conv1), new ConvGemm(Conv2), new ConvGemm(Conv3));
    }

    private readonly ConvGemm _conv1, _conv2, _conv3;
    private readonly ConvGemm? _downsample;

    /// <summary>The block's convolutions as channels-last GEMMs (inference).</summary>
    internal IEnumerable<ConvGemm> Convolutions => _downsample is null ? [_conv1, _conv2, _conv3] : [_conv1, _conv2, _conv3, _downsample];

    /// <summary>
    /// Channels-last inference: x (B, H, W, Cin) → (B, H/stride, W/stride, 4·planes), rented; x stays the
    /// caller's, every intermediate goes back to the pool once read.
    /// </summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        var y = _conv1.Forward(ctx, x, ConvGemm.Normalize(Bn1, ctx, relu: true));
        y = ModifiedResNet.Consume(ctx, y, _conv2.Forward(ctx, y, ConvGemm.Normalize(Bn2, ctx, relu: true)));
        if (Stride > 1) y = ModifiedResNet.Consume(ctx, y, ModifiedResNet.AvgPool(ctx, y, Stride));
        var identity = x;
        if (_downsample is not null)
        {
            identity = Stride > 1 ? ModifiedResNet.AvgPool(ctx, x, Stride) : x;
            var shortcut = _downsample.Forward(ctx, identity, ConvGemm.Normalize(DownsampleBn!, ctx, relu: false));
            identity = identity == x ? shortcut : ModifiedResNet.Consume(ctx, identity, shortcut);
        }
        // relu(bn3(conv3(y)) + identity), all in conv3's epilogue.
        var result = ModifiedResNet.Consume(ctx, y, _conv3.Forward(ctx, y, ConvGemm.Normalize(Bn3, ctx, relu: true, residual: identity)));
        if (identity != x) ctx.Return(identity);
        return result;
    }
}

/// <summary>
/// Attention pooling: flatten the (C, H, W) map to H·W tokens, prepend their mean, add positional
/// embeddings, and let the mean token attend to all tokens (separate q/k/v projections, c_proj to E).
/// </summary>
public sealed partial class AttentionPool2d
{
    public Tensor PositionalEmbedding { get; }  // (H·W + 1, C)
    public LinearLayer KProj { get; }
    public LinearLayer QProj { get; }
    public LinearLayer VProj { get; }
    public LinearLayer CProj { get; }
    public int Heads { get; }

    public AttentionPool2d(ParameterBuilder p, string prefix, int grid, int width, int heads, int outputDim)
    {
        Heads = heads;
        var std = new Init.Normal(Math.Pow(width, -0.5));
        PositionalEmbedding = p.Take(prefix + "positional_embedding", [grid * grid + 1, width], std);
        KProj = new LinearLayer(p, prefix + "k_proj.", width, width, std);
        QProj = new LinearLayer(p, prefix + "q_proj.", width, width, std);
        VProj = new LinearLayer(p, prefix + "v_proj.", width, width, std);
        CProj = new LinearLayer(p, prefix + "c_proj.", width, outputDim, std);
    }

    /// <summary>Channels-last x: (B, H, W, C) → (B, E).</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        int b = x.Shape[0], c = x.Shape[3], hw = x.Shape[1] * x.Shape[2], t = hw + 1;
        var tokens = ctx.Rent(b, t, c);                            // (B, T, C): mean token, then the map
        var ts = tokens.Span;
        var xs = x.Contiguous().Span;
        for (int n = 0; n < b; n++)
        {
            var map = xs.Slice(n * hw * c, hw * c);
            map.CopyTo(ts.Slice((n * t + 1) * c, hw * c));
            var mean = ts.Slice(n * t * c, c);
            mean.Clear();
            for (int i = 0; i < hw; i++) System.Numerics.Tensors.TensorPrimitives.Add(mean, map.Slice(i * c, c), mean);
            System.Numerics.Tensors.TensorPrimitives.Divide(mean, hw, mean);
            var rows = ts.Slice(n * t * c, t * c);
            System.Numerics.Tensors.TensorPrimitives.Add(rows, PositionalEmbedding.Span, rows);
        }
        var k = KProj.Forward(ctx, tokens, output: ctx.Rent(b, t, c));   // (B, T, C)
        var v = VProj.Forward(ctx, tokens, output: ctx.Rent(b, t, c));
        var q = QProj.Forward(ctx, ResidualAttentionBlock.FirstTokens(tokens));   // the mean token's query: (B, C)
        ctx.Return(tokens);
        var pooled = new Tensor(b, 1, c);
        Attention.MultiHead(ctx, pooled.Span, q.Span, c, k.Span, v.Span, c, b, 1, t, Heads, c / Heads, causal: false);
        ctx.Return(k);
        ctx.Return(v);
        return CProj.Forward(ctx, pooled).Reshape(b, -1);
    }
}
