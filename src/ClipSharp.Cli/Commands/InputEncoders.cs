using ClipSharp.Models;
using ClipSharp.Tensors;

namespace ClipSharp.Cli.Commands;

/// <summary>Turns image paths and raw texts into features (decoding, preprocessing, tokenising).</summary>
internal static class InputEncoders
{
    public static (Tensor Features, string[] Sources) EncodeImages(ClipModel clip, ComputeContext ctx, IReadOnlyList<string> paths, int batchSize) =>
        throw new NotSupportedException("--images is not supported yet: the image decoders have not landed; use --pixels with a preprocessed tensor");

    public static Tensor EncodeTexts(ClipModel clip, ComputeContext ctx, IReadOnlyList<string> texts, int batchSize) =>
        throw new NotSupportedException("--text/--texts-file are not supported yet: the tokenizer has not landed; use --tokens");
}
