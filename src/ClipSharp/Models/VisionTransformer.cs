using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: B batch, R resolution, P patch, G = R / P grid, T = G² + 1 tokens, C width, E embed dim.

/// <summary>
/// ViT image tower: patchify (conv1, no bias), prepend the class embedding, add positional
/// embeddings, ln_pre, transformer, ln_post on the class token, project to E.
/// </summary>
public sealed partial class VisionTransformer : IImageTower
{
    public VitConfig Config { get; }
    public Conv2dLayer Conv1 { get; }
    public Tensor ClassEmbedding { get; }       // (C)
    public Tensor PositionalEmbedding { get; }  // (T, C)
    public LayerNormLayer LnPre { get; }
    public Transformer Transformer { get; }

    /// <summary>
    /// conv1 seen as a linear layer on flattened patches: its stride equals its kernel, so each output
    /// position is W (C, 3·P·P) times one patch's pixels in (channel, row, column) order.
    /// </summary>
    public LinearLayer PatchEmbedding { get; }

    public IEnumerable<LinearLayer> LinearLayers => Transformer.LinearLayers.Prepend(PatchEmbedding);
    public LayerNormLayer LnPost { get; }
    public Tensor Proj { get; }                 // (C, E)

    public VisionTransformer(ParameterBuilder p, VitConfig cfg, int embedDim, Activation activation)
    {
        Config = cfg;
        int c = cfg.Width;
        var scale = new Init.Normal(Math.Pow(c, -0.5));
        // Registration order follows the reference's VisionTransformer.__init__.
        Conv1 = new Conv2dLayer(p, "visual.conv1.weight", 3, c, cfg.PatchSize, cfg.PatchSize);
        PatchEmbedding = LinearLayer.Over(Conv1.Weight.Reshape(c, 3 * cfg.PatchSize * cfg.PatchSize));
        ClassEmbedding = p.Take("visual.class_embedding", [c], scale);
        PositionalEmbedding = p.Take("visual.positional_embedding", [cfg.Tokens, c], scale);
        LnPre = new LayerNormLayer(p, "visual.ln_pre.", c);
        Transformer = new Transformer(p, "visual.transformer.", c, cfg.Layers, cfg.Heads, cfg.MlpWidth, activation, TransformerInit.PyTorchDefaults);
        LnPost = new LayerNormLayer(p, "visual.ln_post.", c);
        Proj = p.Take("visual.proj", [c, embedDim], scale);
    }

    public int ImageSize => Config.ImageSize;

    /// <summary>pixels: (B, 3, R, R) → features (B, E), not normalised.</summary>
    public Tensor Forward(ComputeContext ctx, Tensor pixels)
    {
        int b = pixels.Shape[0], c = Config.Width, g2 = Config.Grid * Config.Grid, t = Config.Tokens;
        CheckPixels(pixels, Config.ImageSize);
        var patches = PatchEmbedding.Forward(ctx, Patches(ctx, pixels));   // (B·G², C)
        var x = Tensor.Uninitialized(b, t, c);                    // (B, T, C)
        var xs = x.Span;
        var ps = patches.Span;
        for (int n = 0; n < b; n++)
        {
            ClassEmbedding.Span.CopyTo(xs.Slice(n * t * c, c));
            ps.Slice(n * g2 * c, g2 * c).CopyTo(xs.Slice((n * t + 1) * c, g2 * c));
            var tokens = xs.Slice(n * t * c, t * c);
            System.Numerics.Tensors.TensorPrimitives.Add(tokens, PositionalEmbedding.Span, tokens);
        }
        ctx.Observe("visual.embeddings_0", x);
        x = LnPre.Forward(ctx, x);
        ctx.Observe("visual.ln_pre_0", x);
        Tensor cls;                                               // class tokens: (B, C)
        if (ctx.Tap is null && Config.Layers > 0)
        {
            // Only the class token leaves the tower, so the last block is computed for it alone.
            Transformer.Forward(ctx, x, causal: false, count: Config.Layers - 1);
            cls = Transformer.Blocks[^1].ForwardFirstToken(ctx, x);
        }
        else
        {
            // Observed runs (reference comparisons) tap every token of every block.
            Transformer.Forward(ctx, x, causal: false);
            cls = ResidualAttentionBlock.FirstTokens(x);
        }
        cls = LnPost.Forward(ctx, cls);
        ctx.Observe("visual.ln_post_0", cls);
        var features = new Tensor(b, Proj.Shape[1]);
        Linear.Project(ctx, features.Span, cls.Span, Proj.Span, b, c, Proj.Shape[1]);
        return features;
    }

    /// <summary>pixels (B, 3, R, R) → flattened patches (B·G², 3·P·P), each in (channel, row, column) order.</summary>
    private Tensor Patches(ComputeContext ctx, Tensor pixels)
    {
        int b = pixels.Shape[0], p = Config.PatchSize, g = Config.Grid, r = Config.ImageSize, k = 3 * p * p;
        var patches = Tensor.Uninitialized(b * g * g, k);
        var dense = pixels.Contiguous();
        var source = dense.Storage;
        int offset = dense.Offset;
        var destination = patches.Storage;
        ctx.For(b * g, job =>
        {
            int n = job / g, gy = job % g;
            for (int gx = 0; gx < g; gx++)
            {
                var row = destination.AsSpan((job * g + gx) * k, k);
                for (int ch = 0; ch < 3; ch++)
                    for (int ky = 0; ky < p; ky++)
                        source.AsSpan(offset + ((n * 3 + ch) * r + gy * p + ky) * r + gx * p, p).CopyTo(row.Slice((ch * p + ky) * p, p));
            }
        });
        return patches;
    }

    internal static void CheckPixels(Tensor pixels, int resolution)
    {
        if (pixels.Rank != 4 || pixels.Shape[1] != 3 || pixels.Shape[2] != resolution || pixels.Shape[3] != resolution)
            throw new ArgumentException($"pixel tensor has shape {pixels.ShapeString}, expected (N, 3, {resolution}, {resolution}) for this model");
    }
}
