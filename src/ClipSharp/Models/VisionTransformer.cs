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

    public IEnumerable<LinearLayer> LinearLayers => Transformer.LinearLayers;
    public LayerNormLayer LnPost { get; }
    public Tensor Proj { get; }                 // (C, E)

    public VisionTransformer(ParameterBuilder p, VitConfig cfg, int embedDim, Activation activation)
    {
        Config = cfg;
        int c = cfg.Width;
        var scale = new Init.Normal(Math.Pow(c, -0.5));
        // Registration order follows the reference's VisionTransformer.__init__.
        Conv1 = new Conv2dLayer(p, "visual.conv1.weight", 3, c, cfg.PatchSize, cfg.PatchSize);
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
        var patches = Conv1.Forward(ctx, pixels);                 // (B, C, G, G)
        var x = new Tensor(b, t, c);                              // (B, T, C)
        var xs = x.Span;
        var ps = patches.Span;
        for (int n = 0; n < b; n++)
        {
            ClassEmbedding.Span.CopyTo(xs.Slice(n * t * c, c));
            for (int ch = 0; ch < c; ch++)
            {
                var plane = ps.Slice((n * c + ch) * g2, g2);
                for (int i = 0; i < g2; i++) xs[(n * t + 1 + i) * c + ch] = plane[i];
            }
            var tokens = xs.Slice(n * t * c, t * c);
            System.Numerics.Tensors.TensorPrimitives.Add(tokens, PositionalEmbedding.Span, tokens);
        }
        ctx.Observe("visual.embeddings_0", x);
        x = LnPre.Forward(ctx, x);
        ctx.Observe("visual.ln_pre_0", x);
        Tensor cls;                                               // class tokens: (B, C)
        if (ctx.Tap is null)
        {
            // Only the class token leaves the tower, so the last block is computed for it alone.
            Transformer.Forward(ctx, x, causal: false, count: Config.Layers - 1);
            cls = Transformer.Blocks[^1].ForwardFirstToken(ctx, x);
        }
        else
        {
            // Observed runs (reference comparisons) tap every token of every block.
            Transformer.Forward(ctx, x, causal: false);
            cls = new Tensor(b, c);
            for (int n = 0; n < b; n++) x.Span.Slice(n * t * c, c).CopyTo(cls.Span.Slice(n * c, c));
        }
        cls = LnPost.Forward(ctx, cls);
        ctx.Observe("visual.ln_post_0", cls);
        var features = new Tensor(b, Proj.Shape[1]);
        Linear.Project(ctx, features.Span, cls.Span, Proj.Span, b, c, Proj.Shape[1]);
        return features;
    }

    internal static void CheckPixels(Tensor pixels, int resolution)
    {
        if (pixels.Rank != 4 || pixels.Shape[1] != 3 || pixels.Shape[2] != resolution || pixels.Shape[3] != resolution)
            throw new ArgumentException($"pixel tensor has shape {pixels.ShapeString}, expected (N, 3, {resolution}, {resolution}) for this model");
    }
}
