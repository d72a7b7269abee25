using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;

namespace ClipSharp.Cli.Commands;

/// <summary>Turns image paths and raw texts into features (decoding, preprocessing, tokenising).</summary>
internal static class InputEncoders
{
    public static (Tensor Features, string[] Sources) EncodeImages(ClipModel clip, ComputeContext ctx, IReadOnlyList<string> paths, int batchSize) =>
        throw new NotSupportedException("--images is not supported yet: the image decoders have not landed; use --pixels with a preprocessed tensor");

}
