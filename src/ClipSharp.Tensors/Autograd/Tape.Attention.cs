using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Fused multi-head attention. Letters: B batch, T/Tq/Tk tokens, H heads, D head dim, C = H·D.
public sealed partial class Tape
{
    /// <summary>
    /// Self-attention on a packed qkv (B, T, 3C) (q, k, v stacked along the last dimension, as
    /// nn.MultiheadAttention's in_proj produces) → (B, T, C); causal masks later tokens.
    /// </summary>
    public Variable SelfAttention(Variable qkv, int heads, bool causal)
    {
        int b = qkv.Shape[0], t = qkv.Shape[1], c = qkv.Shape[2] / 3;
        if (qkv.Value.Rank != 3 || qkv.Shape[2] != 3 * c || c % heads != 0)
            throw new ArgumentException($"self-attention: qkv {qkv.Value.ShapeString} is not (B, T, 3C) with C divisible by {heads} heads");
        int d = c / heads, stride = 3 * c;
        var y = new Tensor(b, t, c);
        var probs = new float[b * heads * t * t];
        var s = qkv.Data;
        Kernels.Attention.MultiHeadTraining(Context, y.Span, probs, s, stride, s[c..], s[(2 * c)..], stride, b, t, t, heads, d, causal);
        return Result(y, Needs(qkv), r =>
        {
            var dqkv = G(qkv);
            var values = qkv.Data;
            Kernels.Attention.MultiHeadBackward(Context, dqkv, dqkv[c..], dqkv[(2 * c)..], r.Grad!.Span, probs,
                values, stride, values[c..], values[(2 * c)..], stride, b, t, t, heads, d);
        });
    }

    /// <summary>Attention of queries q (B, Tq, C) over keys k and values v (B, Tk, C) → (B, Tq, C), no mask.</summary>
    public Variable Attention(Variable q, Variable k, Variable v, int heads)
    {
        int b = q.Shape[0], tq = q.Shape[1], c = q.Shape[2], tk = k.Shape[1];
        if (c % heads != 0 || k.Shape[2] != c || v.Shape[2] != c || v.Shape[1] != tk)
            throw new ArgumentException($"attention: q {q.Value.ShapeString}, k {k.Value.ShapeString}, v {v.Value.ShapeString} do not fit {heads} heads");
        int d = c / heads;
        var y = new Tensor(b, tq, c);
        var probs = new float[b * heads * tq * tk];
        Kernels.Attention.MultiHeadTraining(Context, y.Span, probs, q.Data, c, k.Data, v.Data, c, b, tq, tk, heads, d, causal: false);
        return Result(y, Needs(q, k, v), r =>
            Kernels.Attention.MultiHeadBackward(Context, Scratch(q), Scratch(k), Scratch(v), r.Grad!.Span, probs,
                q.Data, c, k.Data, v.Data, c, b, tq, tk, heads, d));
    }

    /// <summary>The gradient buffer when needed, else a throwaway buffer (kernels that write all three need somewhere to write).</summary>
    private static Span<float> Scratch(Variable v) => v.RequiresGrad ? v.GradSpan() : new float[v.Length];
}
