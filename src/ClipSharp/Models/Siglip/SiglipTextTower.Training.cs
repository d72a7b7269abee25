using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models.Siglip;

// Letters: B batch, L context length, C width, E projection size.

public sealed partial class SiglipTextTower
{
    /// <summary>
    /// Training forward: tokens (B, L) → embeddings (B, E). Every position is computed (the encoder is not
    /// causal, so padding reaches the pooled last position); final LayerNorm and the head act on that position.
    /// </summary>
    public Variable Forward(Tape tape, ReadOnlySpan<int> tokens, int batch)
    {
        CheckTokens(tokens, batch);
        int l = Config.ContextLength;
        var x = tape.Embedding(tape.Param(TokenEmbedding), tokens.ToArray(), batch, l);   // (B, L, C)
        x = tape.AddBroadcast(x, tape.Param(PositionEmbedding));
        x = Encoder.Forward(tape, x);
        var last = tape.Gather(x, Enumerable.Repeat(l - 1, batch).ToArray());            // (B, C)
        last = FinalLayerNorm.Forward(tape, last);                                      // per row, so pooling first is exact
        return Head.Forward(tape, last);
    }
}
