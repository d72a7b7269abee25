using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Letters: B batch, T tokens, C width. Training forwards of the transformer blocks.

public sealed partial class SelfAttention
{
    /// <summary>x: (B, T, C) → (B, T, C).</summary>
    public Variable Forward(Tape tape, Variable x, bool causal)
    {
        var qkv = tape.Linear(x, tape.Param(InProjWeight), tape.Param(InProjBias));  // qkv: (B, T, 3C)
        var mixed = tape.SelfAttention(qkv, Heads, causal);                          // (B, T, C)
        return OutProj.Forward(tape, mixed);
    }
}

public sealed partial class Mlp
{
    public Variable Forward(Tape tape, Variable x)
    {
        var h = Fc.Forward(tape, x);
        h = Activation == Activation.QuickGelu ? tape.QuickGelu(h) : tape.Gelu(h);
        return Proj.Forward(tape, h);
    }
}

public sealed partial class ResidualAttentionBlock
{
    /// <summary>x = x + Attn(Ln1(x)); x = x + Mlp(Ln2(x)).</summary>
    public Variable Forward(Tape tape, Variable x, bool causal)
    {
        x = tape.Add(x, Attn.Forward(tape, Ln1.Forward(tape, x), causal));
        x = tape.Add(x, Mlp.Forward(tape, Ln2.Forward(tape, x)));
        return x;
    }
}

public sealed partial class Transformer
{
    /// <summary>x: (B, T, C) → (B, T, C).</summary>
    public Variable Forward(Tape tape, Variable x, bool causal)
    {
        foreach (var block in Blocks) x = block.Forward(tape, x, causal);
        return x;
    }
}
