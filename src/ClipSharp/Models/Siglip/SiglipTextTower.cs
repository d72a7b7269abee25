using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Models.Siglip;

// Letters: B batch, L context length, C width, E projection size.

/// <summary>
/// SiglipTextTransformer: token + learned position embeddings, non-causal encoder (no attention mask,
/// as the checkpoints are used with padding="max_length"), final_layer_norm, the last position's state
/// through a linear head.
/// </summary>
public sealed partial class SiglipTextTower
{
    public SiglipTextConfig Config { get; }
    public Tensor TokenEmbedding { get; }      // (V, C)
    public Tensor PositionEmbedding { get; }   // (L, C)
    public SiglipEncoder Encoder { get; }
    public LayerNormLayer FinalLayerNorm { get; }
    public LinearLayer Head { get; }

    public SiglipTextTower(ParameterBuilder p, SiglipTextConfig cfg)
    {
        Config = cfg;
        int c = cfg.Tower.Width;
        const string pre = "text_model.";
        TokenEmbedding = p.Take(pre + "embeddings.token_embedding.weight", [cfg.VocabSize, c], new Init.Normal(Math.Pow(c, -0.5)));
        PositionEmbedding = p.Take(pre + "embeddings.position_embedding.weight", [cfg.ContextLength, c], new Init.Normal(Math.Pow(c, -0.5)));
        Encoder = new SiglipEncoder(p, pre + "encoder.", cfg.Tower);
        FinalLayerNorm = new LayerNormLayer(p, pre + "final_layer_norm.", c, cfg.Tower.LayerNormEps);
        Head = new LinearLayer(p, pre + "head.", c, cfg.ProjectionSize);
    }

    public IEnumerable<LinearLayer> LinearLayers => Encoder.LinearLayers.Append(Head);

    /// <summary>tokens: (B, L) ids → embeddings (B, E), not normalised.</summary>
    public Tensor Forward(ComputeContext ctx, ReadOnlySpan<int> tokens, int batch)
    {
        CheckTokens(tokens, batch);
        int l = Config.ContextLength, c = Config.Tower.Width;
        var x = new Tensor(batch, l, c);
        for (int n = 0; n < batch; n++)
        {
            var rows = x.Span.Slice(n * l * c, l * c);
            Linear.Embedding(rows, tokens.Slice(n * l, l), TokenEmbedding.Span, Config.VocabSize, c);
            System.Numerics.Tensors.TensorPrimitives.Add(rows, PositionEmbedding.Span, rows);
        }
        ctx.Observe("text.embeddings_0", x);
        Encoder.Forward(ctx, x);
        var last = new Tensor(batch, c);
        var lastIndex = Enumerable.Repeat(l - 1, batch).ToArray();
        Tokens.Gather(last.Span, x.Span, lastIndex, l, c);
        last = FinalLayerNorm.Forward(ctx, last);     // per row, so pooling first is exact
        return Head.Forward(ctx, last);
    }

    private void CheckTokens(ReadOnlySpan<int> tokens, int batch)
    {
        int l = Config.ContextLength;
        if (tokens.Length != batch * l) throw new ArgumentException($"token array has {tokens.Length} ids, expected {batch} × {l}");
        foreach (var id in tokens)
            if ((uint)id >= (uint)Config.VocabSize) throw new ArgumentException($"token id {id} is outside the vocabulary (size {Config.VocabSize})");
    }
}
