using System.Numerics.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Lookups, gathers and token sequences. Letters: B batch, T tokens, C channels, V vocabulary, S spatial.
public sealed partial class Tape
{
    /// <summary>Token embedding: table (V, C), ids (B·T) → (B, T, C). The table's gradient gets sparse row updates.</summary>
    public Variable Embedding(Variable table, int[] ids, int batch, int tokens)
    {
        int v = table.Shape[0], c = table.Shape[1];
        if (ids.Length != batch * tokens) throw new ArgumentException($"embedding: {ids.Length} ids for {batch}×{tokens} tokens");
        var y = new Tensor(batch, tokens, c);
        Kernels.Linear.Embedding(y.Span, ids, table.Data, v, c);
        return Result(y, Needs(table), r => Kernels.Linear.EmbeddingBackward(G(table), r.Grad!.Span, ids, c));
    }

    /// <summary>y[b] = x[b, positions[b]] for x (B, T, C) → (B, C) (class token, end-of-text token).</summary>
    public Variable Gather(Variable x, int[] positions)
    {
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        if (positions.Length != b) throw new ArgumentException($"gather: {positions.Length} positions for a batch of {b}");
        var y = new Tensor(b, c);
        Tokens.Gather(y.Span, x.Data, positions, t, c);
        return Result(y, Needs(x), r => Tokens.GatherBackward(G(x), r.Grad!.Span, positions, t, c));
    }

    /// <summary>
    /// ViT's token sequence: a feature map (B, C, G, G) flattened to G² tokens, preceded by the class
    /// embedding (C) → (B, 1 + G², C).
    /// </summary>
    public Variable ClassTokenAndPatches(Variable map, Variable classEmbedding)
    {
        int b = map.Shape[0], c = map.Shape[1], s = map.Length / Math.Max(1, b * c), t = s + 1;
        if (classEmbedding.Length != c) throw new ArgumentException($"class embedding has {classEmbedding.Length} channels, the map {c}");
        var y = new Tensor(b, t, c);
        Tokens.FromMap(y.Span, map.Data, b, c, s, 1);
        for (int n = 0; n < b; n++) classEmbedding.Data.CopyTo(y.Span.Slice(n * t * c, c));
        return Result(y, Needs(map, classEmbedding), r =>
        {
            var dy = r.Grad!.Span;
            if (map.RequiresGrad) Tokens.FromMapBackward(G(map), dy, b, c, s, 1);
            if (classEmbedding.RequiresGrad)
                for (int n = 0; n < b; n++) TensorPrimitives.Add(G(classEmbedding), dy.Slice(n * t * c, c), G(classEmbedding));
        });
    }

    /// <summary>
    /// The attention pool's token sequence: a feature map (B, C, H, W) flattened to S = H·W tokens,
    /// preceded by their mean → (B, 1 + S, C). dmap[b, c, s] += dy[b, 1 + s, c] + dy[b, 0, c] / S.
    /// </summary>
    public Variable MeanTokenAndMap(Variable map)
    {
        int b = map.Shape[0], c = map.Shape[1], s = map.Length / Math.Max(1, b * c), t = s + 1;
        var y = new Tensor(b, t, c);
        Tokens.FromMap(y.Span, map.Data, b, c, s, 1);
        var xs = map.Data;
        for (int n = 0; n < b; n++)
        for (int ch = 0; ch < c; ch++)
            y.Span[n * t * c + ch] = TensorPrimitives.Sum(xs.Slice((n * c + ch) * s, s)) / s;
        return Result(y, Needs(map), r =>
        {
            var dy = r.Grad!.Span;
            var dx = G(map);
            Tokens.FromMapBackward(dx, dy, b, c, s, 1);
            for (int n = 0; n < b; n++)
            for (int ch = 0; ch < c; ch++)
            {
                var plane = dx.Slice((n * c + ch) * s, s);
                TensorPrimitives.Add(plane, dy[n * t * c + ch] / s, plane);
            }
        });
    }
}
