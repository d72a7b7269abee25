using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Letters: B batch, L context length, T ≤ L tokens computed, C width, E embed dim.

public sealed partial class TextTransformer
{
    /// <summary>
    /// Training forward: tokens (B, L) → features (B, E). As in inference, only positions up to the
    /// latest end-of-text token are computed; later ones cannot affect the output (causal mask) and
    /// receive zero gradient, as in the reference.
    /// </summary>
    public Variable Forward(Tape tape, ReadOnlySpan<int> tokens, int batch)
    {
        int l = Config.ContextLength;
        if (tokens.Length != batch * l)
            throw new ArgumentException($"token array has {tokens.Length} ids, expected {batch} × {l}");
        var pooled = new int[batch];
        int t = 1;
        for (int n = 0; n < batch; n++)
        {
            pooled[n] = ArgMaxFirst(tokens.Slice(n * l, l));
            t = Math.Max(t, pooled[n] + 1);
        }
        var ids = new int[batch * t];
        for (int n = 0; n < batch; n++) tokens.Slice(n * l, t).CopyTo(ids.AsSpan(n * t, t));
        var x = tape.Embedding(tape.Param(TokenEmbedding), ids, batch, t);              // (B, T, C)
        x = tape.AddBroadcast(x, tape.Rows(tape.Param(PositionalEmbedding), 0, t));
        x = Transformer.Forward(tape, x, causal: true);
        var eot = tape.Gather(x, pooled);                                                // (B, C)
        eot = LnFinal.Forward(tape, eot);
        return tape.Project(eot, tape.Param(TextProjection));                            // (B, E)
    }
}
