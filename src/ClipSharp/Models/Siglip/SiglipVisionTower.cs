using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models.Siglip;

// Letters: B batch, P patch, G grid side, N = h·w patches of one image, K = 3·P² patch values, C width.

/// <summary>
/// SiglipVisionTransformer / Siglip2VisionTransformer: patch embedding (with bias) plus learned
/// positions, encoder, post_layernorm, MAP head. The pooled output is the image embedding.
/// </summary>
public sealed partial class SiglipVisionTower
{
    public SiglipVisionConfig Config { get; }
    /// <summary>FixRes: the conv weight (C, 3, P, P) seen as (C, K) on (channel, row, column) patches; NaFlex: nn.Linear (C, K) on (row, column, channel) patches.</summary>
    public LinearLayer PatchEmbedding { get; }
    /// <summary>The patch embedding's registered weight: FixRes (C, 3, P, P), NaFlex (C, K); <see cref="PatchEmbedding"/> reads it as (C, K).</summary>
    public Tensor PatchWeight { get; }
    public Tensor PositionEmbedding { get; }   // (G², C)
    public SiglipEncoder Encoder { get; }
    public LayerNormLayer PostLayerNorm { get; }
    public SiglipPoolingHead Head { get; }

    public SiglipVisionTower(ParameterBuilder p, SiglipVisionConfig cfg)
    {
        Config = cfg;
        int c = cfg.Tower.Width, k = cfg.PatchLength;
        const string pre = "vision_model.";
        if (cfg.NaFlex)
        {
            PatchEmbedding = new LinearLayer(p, pre + "embeddings.patch_embedding.", k, c);
            PatchWeight = PatchEmbedding.Weight;
        }
        else
        {
            PatchWeight = p.Take(pre + "embeddings.patch_embedding.weight", [c, 3, cfg.PatchSize, cfg.PatchSize], Init.DefaultWeight(k));
            var b = p.Take(pre + "embeddings.patch_embedding.bias", [c], Init.DefaultBias(k));
            PatchEmbedding = LinearLayer.Over(PatchWeight.Reshape(c, k), b);
        }
        PositionEmbedding = p.Take(pre + "embeddings.position_embedding.weight", [cfg.NumPatches, c], new Init.Normal(Math.Pow(c, -0.5)));
        Encoder = new SiglipEncoder(p, pre + "encoder.", cfg.Tower);
        PostLayerNorm = new LayerNormLayer(p, pre + "post_layernorm.", c, cfg.Tower.LayerNormEps);
        Head = new SiglipPoolingHead(p, pre + "head.", cfg.Tower);
    }

    public IEnumerable<LinearLayer> LinearLayers => Encoder.LinearLayers.Concat(Head.LinearLayers).Prepend(PatchEmbedding);

    /// <summary>FixRes: pixels (B, 3, R, R) → embeddings (B, C), not normalised.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor pixels)
    {
        CheckPixels(pixels);
        int b = pixels.Shape[0], g2 = Config.NumPatches, c = Config.Tower.Width;
        var x = PatchEmbedding.Forward(ctx, ChannelFirstPatches(pixels)).Reshape(b, g2, c);   // (B, G², C)
        for (int n = 0; n < b; n++)
        {
            var tokens = x.Span.Slice(n * g2 * c, g2 * c);
            System.Numerics.Tensors.TensorPrimitives.Add(tokens, PositionEmbedding.Span, tokens);
        }
        return Pool(ctx, x);
    }

    /// <summary>
    /// NaFlex: one image's patches (N, K) in (row, column, channel) order on an h × w grid (N = h·w, no
    /// padding) → its embedding (C). Padded patches of a batch are left out rather than masked: masked
    /// keys get zero attention weight, so the valid tokens' outputs are the same.
    /// </summary>
    public Tensor ForwardPatches(ComputeContext ctx, Tensor patches, int height, int width)
    {
        if (!Config.NaFlex) throw new InvalidOperationException("a FixRes tower takes (N, 3, R, R) pixels (Forward)");
        int n = height * width, c = Config.Tower.Width;
        if (patches.Rank != 2 || patches.Shape[0] != n || patches.Shape[1] != Config.PatchLength)
            throw new ArgumentException($"patch tensor has shape {patches.ShapeString}, expected ({n}, {Config.PatchLength}) for a {height}×{width} grid");
        var x = PatchEmbedding.Forward(ctx, patches).Reshape(1, n, c);
        var positions = new float[n * c];
        PositionGrid.Resize(positions, PositionEmbedding.Span, Config.Grid, height, width, c);
        System.Numerics.Tensors.TensorPrimitives.Add(x.Span, positions, x.Span);
        return Pool(ctx, x).Reshape(c);
    }

    private Tensor Pool(ComputeContext ctx, Tensor x)
    {
        ctx.Observe("vision.embeddings_0", x);
        Encoder.Forward(ctx, x);
        x = PostLayerNorm.Forward(ctx, x);
        var pooled = Head.Forward(ctx, x);
        ctx.Observe("vision.pooled_0", pooled);
        return pooled;
    }

    /// <summary>FixRes input check: (B, 3, R, R) pixels.</summary>
    private void CheckPixels(Tensor pixels)
    {
        if (Config.NaFlex) throw new InvalidOperationException("a NaFlex tower takes patches and their grid shapes (ForwardPatches)");
        int r = Config.ImageSize;
        if (pixels.Rank != 4 || pixels.Shape[1] != 3 || pixels.Shape[2] != r || pixels.Shape[3] != r)
            throw new ArgumentException($"pixel tensor has shape {pixels.ShapeString}, expected (N, 3, {r}, {r}) for this model");
    }

    /// <summary>pixels (B, 3, R, R) → (B·G², K) patches in (channel, row, column) order (the conv's weight layout).</summary>
    private Tensor ChannelFirstPatches(Tensor pixels)
    {
        int b = pixels.Shape[0], p = Config.PatchSize, g = Config.Grid, r = Config.ImageSize, k = Config.PatchLength;
        var patches = Tensor.Uninitialized(b * g * g, k);
        var src = pixels.Contiguous().Span;
        var dst = patches.Span;
        for (int n = 0; n < b; n++)
            for (int gy = 0; gy < g; gy++)
                for (int gx = 0; gx < g; gx++)
                {
                    var row = dst.Slice(((n * g + gy) * g + gx) * k, k);
                    for (int ch = 0; ch < 3; ch++)
                        for (int ky = 0; ky < p; ky++)
                            src.Slice(((n * 3 + ch) * r + gy * p + ky) * r + gx * p, p).CopyTo(row.Slice((ch * p + ky) * p, p));
                }
        return patches;
    }
}
