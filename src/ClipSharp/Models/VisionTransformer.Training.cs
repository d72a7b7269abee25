using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Models;

// Letters: B batch, R resolution, G grid, T = G² + 1 tokens, C width, E embed dim.

public sealed partial class VisionTransformer
{
    /// <summary>Training forward: pixels (B, 3, R, R) → features (B, E).</summary>
    public Variable Forward(Tape tape, Tensor pixels)
    {
        CheckPixels(pixels, Config.ImageSize);
        var patches = Conv1.Forward(tape, tape.Constant(pixels));                         // (B, C, G, G)
        var x = tape.ClassTokenAndPatches(patches, tape.Param(ClassEmbedding));         // (B, T, C)
        x = tape.AddBroadcast(x, tape.Param(PositionalEmbedding));
        x = LnPre.Forward(tape, x);
        x = Transformer.Forward(tape, x, causal: false);
        var cls = tape.Gather(x, new int[pixels.Shape[0]]);                              // class tokens: (B, C)
        cls = LnPost.Forward(tape, cls);
        return tape.Project(cls, tape.Param(Proj));                                      // (B, E)
    }
}
