using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models.Siglip;

// Letters: B batch, T tokens, C width, H heads, D = C / H head dim, F MLP width.

/// <summary>
/// SiglipAttention: q_proj, k_proj, v_proj, out_proj (each with bias), softmax(q kᵀ / √D) v, no mask.
/// The three input projections run as one (3C, C) GEMM, its weight stacked from theirs when an inference
/// session is prepared (never cached in the layer, so training q, k and v leaves nothing stale).
/// </summary>
public sealed partial class SiglipAttention
{
    public LinearLayer Q { get; }
    public LinearLayer K { get; }
    public LinearLayer V { get; }
    public LinearLayer OutProj { get; }
    public int Heads { get; }
    private readonly LinearLayer _qkv;

    public SiglipAttention(ParameterBuilder p, string prefix, int width, int heads)
    {
        Heads = heads;
        // HF registers k_proj, v_proj, q_proj, out_proj.
        K = new LinearLayer(p, prefix + "k_proj.", width, width);
        V = new LinearLayer(p, prefix + "v_proj.", width, width);
        Q = new LinearLayer(p, prefix + "q_proj.", width, width);
        OutProj = new LinearLayer(p, prefix + "out_proj.", width, width);
        _qkv = LinearLayer.Derived(() => Stack(Q.Weight, K.Weight, V.Weight, 3 * width, width), width, 3 * width,
            () => Stack(Q.Bias!, K.Bias!, V.Bias!, 3 * width));
    }

    /// <summary>Three tensors of equal length one after another: (3n, ...) from three (n, ...).</summary>
    private static Tensor Stack(Tensor a, Tensor b, Tensor c, params int[] shape)
    {
        var result = Tensor.Uninitialized(shape);
        int n = a.Length;
        a.Span.CopyTo(result.Span);
        b.Span.CopyTo(result.Span.Slice(n));
        c.Span.CopyTo(result.Span.Slice(2 * n));
        return result;
    }

    /// <summary>The fused (3C, C) projection and the output projection (what inference packing applies to).</summary>
    public IEnumerable<LinearLayer> LinearLayers => [_qkv, OutProj];

    /// <summary>residual += out_proj(attention(x)); x, residual (B, T, C).</summary>
    public Tensor AddForward(ComputeContext ctx, Tensor x, Tensor residual)
    {
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        var qkv = _qkv.Forward(ctx, x);                         // (B, T, 3C)
        var mixed = Tensor.Uninitialized(b, t, c);
        var s = qkv.Span;
        Attention.MultiHead(ctx, mixed.Span, s, 3 * c, s[c..], s[(2 * c)..], 3 * c, b, t, t, Heads, c / Heads, causal: false);
        return OutProj.AddForward(ctx, mixed, residual);
    }
}

/// <summary>SiglipMLP: fc1 (C → F), gelu_pytorch_tanh, fc2 (F → C).</summary>
public sealed partial class SiglipMlp
{
    public LinearLayer Fc1 { get; }
    public LinearLayer Fc2 { get; }

    public SiglipMlp(ParameterBuilder p, string prefix, int width, int hidden)
    {
        Fc1 = new LinearLayer(p, prefix + "fc1.", width, hidden);
        Fc2 = new LinearLayer(p, prefix + "fc2.", hidden, width);
    }

    /// <summary>residual += fc2(gelu_tanh(fc1(x))), the activation and the residual add fused into the GEMMs.</summary>
    public Tensor AddForward(ComputeContext ctx, Tensor x, Tensor residual)
    {
        var isa = ctx.Isa;
        var h = Fc1.Forward(ctx, x, (values, _, _) => Elementwise.Apply<GeluTanhOperator>(values, values, isa));
        return Fc2.AddForward(ctx, h, residual);
    }
}

/// <summary>SiglipEncoderLayer: x += Attn(Ln1(x)); x += Mlp(Ln2(x)).</summary>
public sealed partial class SiglipEncoderLayer
{
    public LayerNormLayer LayerNorm1 { get; }
    public SiglipAttention SelfAttn { get; }
    public LayerNormLayer LayerNorm2 { get; }
    public SiglipMlp Mlp { get; }

    public SiglipEncoderLayer(ParameterBuilder p, string prefix, SiglipTowerConfig cfg)
    {
        LayerNorm1 = new LayerNormLayer(p, prefix + "layer_norm1.", cfg.Width, cfg.LayerNormEps);
        SelfAttn = new SiglipAttention(p, prefix + "self_attn.", cfg.Width, cfg.Heads);
        LayerNorm2 = new LayerNormLayer(p, prefix + "layer_norm2.", cfg.Width, cfg.LayerNormEps);
        Mlp = new SiglipMlp(p, prefix + "mlp.", cfg.Width, cfg.MlpWidth);
    }

    /// <summary>x: (B, T, C), updated in place and returned.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        SelfAttn.AddForward(ctx, LayerNorm1.Forward(ctx, x), residual: x);
        Mlp.AddForward(ctx, LayerNorm2.Forward(ctx, x), residual: x);
        return x;
    }
}

/// <summary>SiglipEncoder: "{prefix}layers.{i}." blocks; taps "{prefix}layer_{i}".</summary>
public sealed partial class SiglipEncoder
{
    public IReadOnlyList<SiglipEncoderLayer> Layers { get; }
    private readonly string _tap;

    public SiglipEncoder(ParameterBuilder p, string prefix, SiglipTowerConfig cfg)
    {
        _tap = prefix + "layer";
        Layers = Enumerable.Range(0, cfg.Layers).Select(i => new SiglipEncoderLayer(p, $"{prefix}layers.{i}.", cfg)).ToArray();
    }

    public IEnumerable<LinearLayer> LinearLayers =>
        Layers.SelectMany(l => l.SelfAttn.LinearLayers.Concat([l.Mlp.Fc1, l.Mlp.Fc2]));

    /// <summary>x: (B, T, C) through every layer, in place.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        for (int i = 0; i < Layers.Count; i++)
        {
            Layers[i].Forward(ctx, x);
            ctx.Observe($"{_tap}_{i}", x);
        }
        return x;
    }
}

/// <summary>
/// SiglipMultiheadAttentionPoolingHead ("MAP"): one learned probe query attends over the tokens
/// (nn.MultiheadAttention: in_proj_weight/in_proj_bias packed q, k, v; out_proj), then
/// h + mlp(layernorm(h)). Padded tokens are excluded by passing only an image's valid tokens.
/// </summary>
public sealed partial class SiglipPoolingHead
{
    public Tensor Probe { get; }          // (1, 1, C)
    public LinearLayer InProj { get; }   // (3C, C)
    public LinearLayer OutProj { get; }
    public LayerNormLayer LayerNorm { get; }
    public SiglipMlp Mlp { get; }
    public int Heads { get; }
    private readonly LinearLayer _kv;

    public SiglipPoolingHead(ParameterBuilder p, string prefix, SiglipTowerConfig cfg)
    {
        int c = cfg.Width;
        Heads = cfg.Heads;
        Probe = p.Take(prefix + "probe", [1, 1, c], new Init.Normal(1));
        InProj = new LinearLayer(p, prefix + "attention.in_proj_weight", prefix + "attention.in_proj_bias", c, 3 * c, Init.XavierUniform(c, 3 * c), Init.Zeros);
        OutProj = new LinearLayer(p, prefix + "attention.out_proj.", c, c, null, Init.Zeros);
        LayerNorm = new LayerNormLayer(p, prefix + "layernorm.", c, cfg.LayerNormEps);
        Mlp = new SiglipMlp(p, prefix + "mlp.", c, cfg.MlpWidth);
        _kv = LinearLayer.Over(InProj.Weight.Reshape(3 * c, c).Slice(c, 2 * c),
            InProj.Bias!.Slice(c, 2 * c));
    }

    public IEnumerable<LinearLayer> LinearLayers => [_kv, OutProj, Mlp.Fc1, Mlp.Fc2];

    /// <summary>x: (B, T, C) → pooled (B, C).</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x)
    {
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        // The probe's query is the same for every sequence: computed once, repeated per sequence.
        var q = new Tensor(b, c);
        Linear.Forward(ctx, q.Span[..c], Probe.Span, InProj.Weight.Span[..(c * c)], InProj.Bias!.Span[..c], 1, c, c, accumulate: false, epilogue: null);
        for (int n = 1; n < b; n++) q.Span[..c].CopyTo(q.Span.Slice(n * c, c));
        var kv = _kv.Forward(ctx, x);                           // (B, T, 2C)
        var h = new Tensor(b, c);
        var s = kv.Span;
        Attention.MultiHead(ctx, h.Span, q.Span, c, s, s[c..], 2 * c, b, 1, t, Heads, c / Heads, causal: false);
        var pooled = OutProj.Forward(ctx, h);                   // (B, C)
        return Mlp.AddForward(ctx, LayerNorm.Forward(ctx, pooled), residual: pooled);
    }
}
