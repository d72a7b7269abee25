using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models.Siglip;

// Letters: B batch, G grid side, K = 3·P² patch values, C width.

public sealed partial class SiglipVisionTower
{
    /// <summary>
    /// Training forward (FixRes): pixels (B, 3, R, R) → embeddings (B, C). The conv patch embedding is a
    /// linear layer over (channel, row, column) patches whose weight is the registered (C, 3, P, P) tensor
    /// read as (C, K), so its gradient lands in the parameter itself.
    /// </summary>
    public Variable Forward(Tape tape, Tensor pixels)
    {
        if (Config.NaFlex)
            throw new NotSupportedException("training a SigLIP 2 NaFlex vision tower is not supported (FixRes towers train)");
        CheckPixels(pixels);
        int b = pixels.Shape[0], g2 = Config.NumPatches, c = Config.Tower.Width;
        var weight = tape.Reshape(tape.Param(PatchWeight), c, Config.PatchLength);
        var x = tape.Linear(tape.Constant(ChannelFirstPatches(pixels)), weight, tape.Param(PatchEmbedding.Bias!));   // (B·G², C)
        x = tape.AddBroadcast(tape.Reshape(x, b, g2, c), tape.Param(PositionEmbedding));                            // (B, G², C)
        x = Encoder.Forward(tape, x);
        x = PostLayerNorm.Forward(tape, x);
        return Head.Forward(tape, x);
    }
}
