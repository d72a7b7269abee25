using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: B batch, T tokens, C width, H heads, D = C / H head dim.

/// <summary>
/// Initialisers for a transformer's linear layers. The reference initialises the text transformer
/// explicitly (normal with std scaled by width and depth) and leaves the vision transformer at
/// PyTorch's defaults; null means "PyTorch default for that layer".
/// </summary>
public sealed record TransformerInit(Init? InProj, Init? OutProj, Init? Fc, Init? Proj)
{
    public static TransformerInit PyTorchDefaults { get; } = new(null, null, null, null);

    /// <summary>The reference's text-tower scheme for a width-C, L-layer transformer.</summary>
    public static TransformerInit Clip(int width, int layers) => new(
        new Init.Normal(Math.Pow(width, -0.5)),
        new Init.Normal(Math.Pow(width, -0.5) * Math.Pow(2 * layers, -0.5)),
        new Init.Normal(Math.Pow(2 * width, -0.5)),
        new Init.Normal(Math.Pow(width, -0.5) * Math.Pow(2 * layers, -0.5)));
}

/// <summary>nn.MultiheadAttention self-attention with packed in_proj (q, k, v stacked).</summary>
public sealed partial class SelfAttention
{
    public LinearLayer InProj { get; }   // weight (3C, C), bias (3C)
    public Tensor InProjWeight => InProj.Weight;
    public Tensor InProjBias => InProj.Bias!;
    public LinearLayer OutProj { get; }
    public int Width { get; }
    public int Heads { get; }

    public SelfAttention(ParameterBuilder p, string prefix, int width, int heads, TransformerInit init)
    {
        (Width, Heads) = (width, heads);
        InProj = new LinearLayer(p, prefix + "in_proj_weight", prefix + "in_proj_bias", width, 3 * width,
            init.InProj ?? Init.XavierUniform(width, 3 * width), Init.Zeros);
        OutProj = new LinearLayer(p, prefix + "out_proj.", width, width, init.OutProj, Init.Zeros);
    }

    /// <summary>
    /// residual += Attention(x) for the first token of each sequence only (non-causal), with x (B, T, C)
    /// and residual (B, C): keys and values come from every token, the query from the first.
    /// </summary>
    public Tensor AddForwardFirstToken(ComputeContext ctx, Tensor x, Tensor residual) =>
        AddAttention(ctx, x, causal: false, residual, firstTokenOnly: true, buffers: null);

    /// <summary>
    /// residual += Attention(x), with x and residual (B, T, C); causal masks attention to later tokens.
    /// Intermediates go to <paramref name="buffers"/> when given, else to new tensors.
    /// </summary>
    public Tensor AddForward(ComputeContext ctx, Tensor x, bool causal, Tensor residual, BlockBuffers? buffers = null) =>
        AddAttention(ctx, x, causal, residual, firstTokenOnly: false, buffers);

    private Tensor AddAttention(ComputeContext ctx, Tensor x, bool causal, Tensor residual, bool firstTokenOnly, BlockBuffers? buffers)
    {
        int b = x.Shape[0], t = x.Shape[1], c = Width, queries = firstTokenOnly ? 1 : t;
        var qkv = InProj.Forward(ctx, x, output: buffers?.Qkv);  // qkv: (B, T, 3C)
        var mixed = buffers?.Mixed ?? Tensor.Uninitialized(b, queries, c);
        var s = qkv.Span;
        // With one query per sequence, a query stride of T rows steps from one sequence's first token to the next.
        Attention.MultiHead(ctx, mixed.Span, s, queries == 1 ? t * 3 * c : 3 * c, s[c..], s[(2 * c)..], 3 * c, b, queries, t, Heads, c / Heads, causal);
        return OutProj.AddForward(ctx, mixed, residual);
    }
}

/// <summary>The MLP: c_fc (C → 4C), activation, c_proj (4C → C).</summary>
public sealed partial class Mlp
{
    public LinearLayer Fc { get; }
    public LinearLayer Proj { get; }
    public Activation Activation { get; }

    public Mlp(ParameterBuilder p, string prefix, int width, int hidden, Activation activation, TransformerInit init)
    {
        Fc = new LinearLayer(p, prefix + "c_fc.", width, hidden, init.Fc);
        Proj = new LinearLayer(p, prefix + "c_proj.", hidden, width, init.Proj);
        Activation = activation;
    }

    /// <summary>
    /// residual += c_proj(act(c_fc(x))): the activation and the residual add are fused into the GEMMs.
    /// The hidden activations go to <paramref name="hidden"/> when given.
    /// </summary>
    public Tensor AddForward(ComputeContext ctx, Tensor x, Tensor residual, Tensor? hidden = null)
    {
        var isa = ctx.Isa;
        GemmRowEpilogue act = Activation == Activation.QuickGelu
            ? (values, _, _) => Elementwise.Apply<QuickGeluOperator>(values, values, isa)
            : (values, _, _) => Elementwise.Apply<GeluOperator>(values, values, isa);
        var h = Fc.Forward(ctx, x, act, hidden);   // h: (B, T, 4C)
        return Proj.AddForward(ctx, h, residual);
    }
}

/// <summary>Pre-LN residual block shared by both towers: x += Attn(Ln1(x)); x += Mlp(Ln2(x)).</summary>
public sealed partial class ResidualAttentionBlock
{
    public LayerNormLayer Ln1 { get; }
    public SelfAttention Attn { get; }
    public LayerNormLayer Ln2 { get; }
    public Mlp Mlp { get; }

    public ResidualAttentionBlock(ParameterBuilder p, string prefix, int width, int heads, int mlpWidth, Activation activation, TransformerInit init)
    {
        Attn = new SelfAttention(p, prefix + "attn.", width, heads, init);
        Ln1 = new LayerNormLayer(p, prefix + "ln_1.", width);
        Mlp = new Mlp(p, prefix + "mlp.", width, mlpWidth, activation, init);
        Ln2 = new LayerNormLayer(p, prefix + "ln_2.", width);
    }

    /// <summary>x: (B, T, C), updated in place and returned; intermediates in <paramref name="buffers"/> when given.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor x, bool causal, BlockBuffers? buffers = null)
    {
        // x = x + Attn(Ln1(x)); x = x + Mlp(Ln2(x)), each residual add fused into the branch's last GEMM.
        Attn.AddForward(ctx, Ln1.Forward(ctx, x, buffers?.Normed), causal, residual: x, buffers);
        Mlp.AddForward(ctx, Ln2.Forward(ctx, x, buffers?.Normed), residual: x, buffers?.Hidden);
        return x;
    }

    /// <summary>
    /// The block's output at the first token of each sequence, (B, C), without computing the other
    /// tokens' outputs (non-causal attention; x (B, T, C) is left unchanged). Equals the first-token
    /// rows of <see cref="Forward"/>: a row's output depends only on that row and the shared keys and values.
    /// </summary>
    public Tensor ForwardFirstToken(ComputeContext ctx, Tensor x)
    {
        var first = FirstTokens(x);
        Attn.AddForwardFirstToken(ctx, Ln1.Forward(ctx, x), residual: first);
        Mlp.AddForward(ctx, Ln2.Forward(ctx, first), residual: first);
        return first;
    }

    /// <summary>x (B, T, C) → its first token of each sequence, (B, C).</summary>
    internal static Tensor FirstTokens(Tensor x)
    {
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        var first = Tensor.Uninitialized(b, c);
        Tokens.Gather(first.Span, x.Contiguous().Span, new int[b], t, c);
        return first;
    }
}

/// <summary>A stack of residual attention blocks, "{prefix}resblocks.{i}.".</summary>
public sealed partial class Transformer
{
    public IReadOnlyList<ResidualAttentionBlock> Blocks { get; }
    private readonly string _tapName;

    public Transformer(ParameterBuilder p, string prefix, int width, int layers, int heads, int mlpWidth, Activation activation, TransformerInit init)
    {
        _tapName = prefix + "resblock";
        Blocks = Enumerable.Range(0, layers)
            .Select(i => new ResidualAttentionBlock(p, $"{prefix}resblocks.{i}.", width, heads, mlpWidth, activation, init))
            .ToArray();
    }

    /// <summary>Every linear layer of every block, in order.</summary>
    public IEnumerable<LinearLayer> LinearLayers =>
        Blocks.SelectMany(b => new[] { b.Attn.InProj, b.Attn.OutProj, b.Mlp.Fc, b.Mlp.Proj });

    /// <summary>
    /// x: (B, T, C) through the first <paramref name="count"/> blocks (all by default), updated in place
    /// and returned; taps "{prefix}resblock_{i}" after each block. The blocks share one set of
    /// intermediate buffers rather than allocating their own.
    /// </summary>
    public Tensor Forward(ComputeContext ctx, Tensor x, bool causal, int count = -1)
    {
        if (Blocks.Count == 0) return x;
        var buffers = BlockBuffers.Rent(_buffers, x.Shape[0], x.Shape[1], x.Shape[2], Blocks[0].Mlp.Fc.OutFeatures);
        try
        {
            for (int i = 0; i < (count < 0 ? Blocks.Count : count); i++)
            {
                Blocks[i].Forward(ctx, x, causal, buffers);
                ctx.Observe($"{_tapName}_{i}", x);
            }
        }
        finally { _buffers.Add(buffers); }
        return x;
    }

    /// <summary>Intermediate buffers kept between forward passes, one set per concurrent caller.</summary>
    private readonly System.Collections.Concurrent.ConcurrentBag<BlockBuffers> _buffers = [];
}

/// <summary>
/// The intermediate activations of one residual block over (B, T) tokens of width C: views of
/// storage that is kept between forward passes and grown when a larger batch comes (each block
/// overwrites them before reading).
/// </summary>
public sealed class BlockBuffers
{
    private readonly float[] _normed, _qkv, _mixed, _hidden;

    private BlockBuffers(float[] normed, float[] qkv, float[] mixed, float[] hidden, int batch, int tokens, int width, int mlpWidth)
    {
        (_normed, _qkv, _mixed, _hidden) = (normed, qkv, mixed, hidden);
        Normed = View(normed, batch, tokens, width);
        Qkv = View(qkv, batch, tokens, 3 * width);
        Mixed = View(mixed, batch, tokens, width);
        Hidden = View(hidden, batch, tokens, mlpWidth);
    }

    /// <summary>LayerNorm output, (B, T, C).</summary>
    public Tensor Normed { get; }

    /// <summary>Packed q, k, v, (B, T, 3C).</summary>
    public Tensor Qkv { get; }

    /// <summary>Attention output before the out projection, (B, T, C).</summary>
    public Tensor Mixed { get; }

    /// <summary>MLP hidden activations, (B, T, F).</summary>
    public Tensor Hidden { get; }

    /// <summary>A set for (B, T, C, F) from <paramref name="pool"/> (reusing its storage when large enough), or a new one.</summary>
    internal static BlockBuffers Rent(System.Collections.Concurrent.ConcurrentBag<BlockBuffers> pool, int batch, int tokens, int width, int mlpWidth)
    {
        int rows = batch * tokens;
        pool.TryTake(out var old);
        float[] Storage(float[]? kept, int length) => kept is not null && kept.Length >= length ? kept : GC.AllocateUninitializedArray<float>(length);
        return new BlockBuffers(Storage(old?._normed, rows * width), Storage(old?._qkv, rows * 3 * width),
            Storage(old?._mixed, rows * width), Storage(old?._hidden, rows * mlpWidth), batch, tokens, width, mlpWidth);
    }

    private static Tensor View(float[] storage, params int[] shape) =>
        new(storage, 0, shape, [shape[1] * shape[2], shape[2], 1]);
}
