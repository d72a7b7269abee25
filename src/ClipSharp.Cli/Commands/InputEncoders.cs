using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;

namespace ClipSharp.Cli.Commands;

/// <summary>Turns image paths and raw texts into features (decoding, preprocessing, tokenising).</summary>
internal static class InputEncoders
{
    public static (Tensor Features, string[] Sources) EncodeImages(ClipModel clip, ComputeContext ctx, IReadOnlyList<string> paths, int batchSize) =>
        throw new NotSupportedException("--images is not supported yet: the image decoders have not landed; use --pixels with a preprocessed tensor");

    /// <summary>The tokenizer that goes with a checkpoint: a Hugging Face directory's own vocabulary, else CLIP's.</summary>
    public static ClipTokenizer TokenizerFor(string modelPath) =>
        ClipTokenizer.ForModelDirectory(Directory.Exists(modelPath) ? modelPath : null);

    /// <summary>Tokenises (truncating to the model's context when asked) and encodes in batches.</summary>
    public static Tensor EncodeTexts(ClipModel clip, ComputeContext ctx, ClipTokenizer tokenizer, IReadOnlyList<string> texts, int batchSize, bool truncate)
    {
        int l = clip.Config.Text.ContextLength;
        var rows = tokenizer.Encode(texts, l, truncate);
        var ids = new int[texts.Count * l];
        Buffer.BlockCopy(rows, 0, ids, 0, ids.Length * sizeof(int));
        return EmbedCommand.Batched(texts.Count, batchSize, (start, count) => clip.EncodeText(ctx, ids.AsSpan(start * l, count * l), count));
    }
}
