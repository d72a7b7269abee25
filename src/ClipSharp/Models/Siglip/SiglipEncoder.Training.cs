using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models.Siglip;

// Letters: B batch, T tokens, C width. Training forwards of the SigLIP blocks and the MAP head: the
// same computation as inference, recorded on a tape from the shared tape layers (LinearLayer, LayerNormLayer).

public sealed partial class SiglipAttention
{
    /// <summary>out_proj(attention(q_proj(x), k_proj(x), v_proj(x))); x: (B, T, C) → (B, T, C).</summary>
    public Variable Forward(Tape tape, Variable x) =>
        OutProj.Forward(tape, tape.Attention(Q.Forward(tape, x), K.Forward(tape, x), V.Forward(tape, x), Heads));
}

public sealed partial class SiglipMlp
{
    /// <summary>fc2(gelu_tanh(fc1(x))).</summary>
    public Variable Forward(Tape tape, Variable x) => Fc2.Forward(tape, tape.GeluTanh(Fc1.Forward(tape, x)));
}

public sealed partial class SiglipEncoderLayer
{
    /// <summary>x = x + Attn(Ln1(x)); x = x + Mlp(Ln2(x)).</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        x = tape.Add(x, SelfAttn.Forward(tape, LayerNorm1.Forward(tape, x)));
        x = tape.Add(x, Mlp.Forward(tape, LayerNorm2.Forward(tape, x)));
        return x;
    }
}

public sealed partial class SiglipEncoder
{
    /// <summary>x: (B, T, C) → (B, T, C).</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        foreach (var layer in Layers) x = layer.Forward(tape, x);
        return x;
    }
}

public sealed partial class SiglipPoolingHead
{
    /// <summary>
    /// x: (B, T, C) → pooled (B, C). The probe's query is computed once and repeated per sequence; the packed
    /// in_proj weight and bias are read as their q, k, v rows, so each part's gradient lands in its own rows.
    /// </summary>
    public Variable Forward(Tape tape, Variable x)
    {
        int b = x.Shape[0], c = x.Shape[2];
        var w = tape.Param(InProj.Weight);                                              // (3C, C)
        var bias = tape.Param(InProj.Bias!);                                            // (3C)
        var probe = tape.Reshape(tape.Param(Probe), 1, c);
        var q = tape.Reshape(tape.Repeat(tape.Linear(probe, tape.Rows(w, 0, c), tape.Rows(bias, 0, c)), b), b, 1, c);  // (B, 1, C)
        var k = tape.Linear(x, tape.Rows(w, c, c), tape.Rows(bias, c, c));             // (B, T, C)
        var v = tape.Linear(x, tape.Rows(w, 2 * c, c), tape.Rows(bias, 2 * c, c));
        var h = OutProj.Forward(tape, tape.Attention(q, k, v, Heads));                 // (B, 1, C)
        h = tape.Add(h, Mlp.Forward(tape, LayerNorm.Forward(tape, h)));
        return tape.Reshape(h, b, c);
    }
}
