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

    public IEnumerable<LinearLayer> LinearLayers => [AttnPool.KProj, AttnPool.QProj, AttnPool.VProj, AttnPool.CProj];

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

    /// <summary>pixels: (B, 3, R, R) → features (B, E), not normalised.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor pixels)
    {
        VisionTransformer.CheckPixels(pixels, Config.ImageSize);
        var x = Bn1.Forward(Conv1.Forward(ctx, pixels), relu: true);
        x = Bn2.Forward(Conv2.Forward(ctx, x), relu: true);
        x = Bn3.Forward(Conv3.Forward(ctx, x), relu: true);
        x = AvgPool(x, 2);
        ctx.Observe("visual.stem_0", x);
        for (int s = 0; s < Stages.Count; s++)
        {
            foreach (var block in Stages[s]) x = block.Forward(ctx, x);
            ctx.Observe($"visual.layer_{s + 1}", x);
        }
        return AttnPool.Forward(ctx, x);
    }

    /// <summary>nn.AvgPool2d(k): (B, C, H, W) → (B, C, H/k, W/k).</summary>
    internal static Tensor AvgPool(Tensor x, int k)
    {
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = new Tensor(b, c, h / k, w / k);
        Convolution.AvgPool2d(y.Span, x.Span, b, c, h, w, k);
        return y;
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
        }
    }

    /// <summary>x: (B, Cin, H, W) → (B, 4·planes, H/stride, W/stride).</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        var y = Bn1.Forward(Conv1.Forward(ctx, x), relu: true);
        y = Bn2.Forward(Conv2.Forward(ctx, y), relu: true);
        if (Stride > 1) y = ModifiedResNet.AvgPool(y, Stride);
        y = Bn3.Forward(Conv3.Forward(ctx, y));
        var identity = x;
        if (DownsampleConv is not null)
        {
            var pooled = Stride > 1 ? ModifiedResNet.AvgPool(x, Stride) : x;
            identity = DownsampleBn!.Forward(DownsampleConv.Forward(ctx, pooled));
        }
        var ys = y.Span;
        System.Numerics.Tensors.TensorPrimitives.Add(ys, identity.Span, ys);
        Elementwise.Apply<ReluOperator>(ys, ys, ctx.Isa);
        return y;
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

    /// <summary>x: (B, C, H, W) → (B, E).</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        int b = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3], t = hw + 1;
        var tokens = new Tensor(b, t, c);                             // (B, T, C): mean token, then the map
        var ts = tokens.Span;
        var xs = x.Span;
        for (int n = 0; n < b; n++)
        {
            for (int ch = 0; ch < c; ch++)
            {
                var plane = xs.Slice((n * c + ch) * hw, hw);
                ts[n * t * c + ch] = System.Numerics.Tensors.TensorPrimitives.Sum(plane) / hw;
                for (int i = 0; i < hw; i++) ts[(n * t + 1 + i) * c + ch] = plane[i];
            }
            var rows = ts.Slice(n * t * c, t * c);
            System.Numerics.Tensors.TensorPrimitives.Add(rows, PositionalEmbedding.Span, rows);
        }
        var k = KProj.Forward(ctx, tokens);                           // (B, T, C)
        var v = VProj.Forward(ctx, tokens);
        var query = new Tensor(b, 1, c);
        for (int n = 0; n < b; n++) ts.Slice(n * t * c, c).CopyTo(query.Span.Slice(n * c, c));
        var q = QProj.Forward(ctx, query);                            // (B, 1, C)
        var pooled = new Tensor(b, 1, c);
        Attention.MultiHead(ctx, pooled.Span, q.Span, c, k.Span, v.Span, c, b, 1, t, Heads, c / Heads, causal: false);
        return CProj.Forward(ctx, pooled).Reshape(b, -1);
    }
}
