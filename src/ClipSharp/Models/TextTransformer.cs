using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models;

// Letters: B batch, L context length, T ≤ L tokens computed, C width, V vocab, E embed dim.

/// <summary>
/// Text tower: token + positional embeddings, causal transformer, ln_final, pooled at the first
/// position holding the largest token id (the end-of-text token), projected to E.
/// </summary>
public sealed partial class TextTransformer
{
    public TextConfig Config { get; }
    public Tensor TokenEmbedding { get; }       // (V, C)
    public Tensor PositionalEmbedding { get; }  // (L, C)
    public Transformer Transformer { get; }
    public LayerNormLayer LnFinal { get; }
    public Tensor TextProjection { get; }       // (C, E)

    public TextTransformer(ParameterBuilder p, TextConfig cfg, int embedDim, Activation activation)
    {
        Config = cfg;
        int c = cfg.Width;
        // The reference registers transformer, token_embedding, positional_embedding, ln_final, text_projection.
        Transformer = new Transformer(p, "transformer.", c, cfg.Layers, cfg.Heads, cfg.MlpWidth, activation, TransformerInit.Clip(c, cfg.Layers));
        TokenEmbedding = p.Take("token_embedding.weight", [cfg.VocabSize, c], new Init.Normal(0.02));
        PositionalEmbedding = p.Take("positional_embedding", [cfg.ContextLength, c], new Init.Normal(0.01));
        LnFinal = new LayerNormLayer(p, "ln_final.", c);
        TextProjection = p.Take("text_projection", [c, embedDim], new Init.Normal(Math.Pow(c, -0.5)));
    }

    /// <summary>
    /// tokens: (B, L) ids → features (B, E), not normalised. Only positions up to the latest pooled
    /// position in the batch are computed: with the causal mask, later tokens cannot change them.
    /// </summary>
    public Tensor Forward(ComputeContext ctx, ReadOnlySpan<int> tokens, int batch)
    {
        int l = Config.ContextLength, c = Config.Width;
        if (tokens.Length != batch * l)
            throw new ArgumentException($"token array has {tokens.Length} ids, expected {batch} × {l}");
        var pooled = new int[batch];
        int t = 1;
        for (int n = 0; n < batch; n++)
        {
            pooled[n] = ArgMaxFirst(tokens.Slice(n * l, l));
            t = Math.Max(t, pooled[n] + 1);
        }
        var x = new Tensor(batch, t, c);                            // (B, T, C)
        for (int n = 0; n < batch; n++)
        {
            var rows = x.Span.Slice(n * t * c, t * c);
            Linear.Embedding(rows, tokens.Slice(n * l, t), TokenEmbedding.Span, Config.VocabSize, c);
            System.Numerics.Tensors.TensorPrimitives.Add(rows, PositionalEmbedding.Span[..(t * c)], rows);
        }
        ctx.Observe("text.embeddings_0", x);
        Transformer.Forward(ctx, x, causal: true);
        var eot = new Tensor(batch, c);                             // (B, C) at the pooled positions
        Tokens.Gather(eot.Span, x.Span, pooled, t, c);
        eot = LnFinal.Forward(ctx, eot);                            // LayerNorm is per row, so pooling first is exact
        ctx.Observe("text.ln_final_0", eot);
        var features = new Tensor(batch, TextProjection.Shape[1]);
        Linear.Project(ctx, features.Span, eot.Span, TextProjection.Span, batch, c, TextProjection.Shape[1]);
        return features;
    }

    /// <summary>Index of the first occurrence of the largest id (torch.argmax's choice on ties).</summary>
    public static int ArgMaxFirst(ReadOnlySpan<int> ids)
    {
        int best = 0;
        for (int i = 1; i < ids.Length; i++) if (ids[i] > ids[best]) best = i;
        return best;
    }
}
