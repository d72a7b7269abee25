using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;

namespace ClipSharp;

/// <summary>
/// A model with its tokenizer and image preprocessing: the unit every command works with.
/// Encodes raw texts and image files in batches on an explicit <see cref="ComputeContext"/>.
/// </summary>
public sealed partial class ClipPipeline
{
    public ClipModel Model { get; }
    public ClipTokenizer Tokenizer { get; }
    public ComputeContext Context { get; }

    /// <summary>Where the model came from (used to key caches).</summary>
    public string ModelPath { get; }

    public ClipPipeline(ClipModel model, ClipTokenizer tokenizer, ComputeContext context, string modelPath, Precision precision = Precision.Float32)
    {
        Model = model;
        Tokenizer = tokenizer;
        Context = context;
        ModelPath = modelPath;
        Precision = precision;
        ImageConfig = Imaging.Preprocessing.PreprocessConfig.Clip(model.Config.Vision.ImageSize);
        model.PrepareForInference(precision, context);
    }

    /// <summary>Arithmetic of the linear layers (int8 trades ~1% of embedding agreement for speed).</summary>
    public Precision Precision { get; }

    /// <summary>Loads the model at <paramref name="modelPath"/> (any checkpoint format) with its tokenizer.</summary>
    public static ClipPipeline Load(string modelPath, ComputeContext context, Precision precision = Precision.Float32)
    {
        var model = ModelLoader.Load(modelPath);
        return new(model, ClipTokenizer.ForModelDirectory(Directory.Exists(modelPath) ? modelPath : null), context, modelPath, precision)
        {
            ImageConfig = DefaultImageConfig(modelPath, model.Config.Vision.ImageSize),
        };
    }

    /// <summary>Text features (M, E), unnormalised; over-long texts are truncated when <paramref name="truncate"/>.</summary>
    public Tensor EncodeTexts(IReadOnlyList<string> texts, bool truncate = true, int batchSize = 256)
    {
        int l = Model.Config.Text.ContextLength;
        var rows = Tokenizer.Encode(texts, l, truncate);
        var ids = new int[texts.Count * l];
        Buffer.BlockCopy(rows, 0, ids, 0, ids.Length * sizeof(int));
        return Batched(texts.Count, batchSize, (start, count) => Model.EncodeText(Context, ids.AsSpan(start * l, count * l), count));
    }

    /// <summary>Runs <paramref name="encode"/> over [0, n) in chunks and stacks the (count, E) results.</summary>
    public static Tensor Batched(int n, int batchSize, Func<int, int, Tensor> encode)
    {
        if (n == 0) throw new ArgumentException("nothing to encode");
        Tensor? result = null;
        for (int start = 0; start < n; start += batchSize)
        {
            int count = Math.Min(batchSize, n - start);
            var part = encode(start, count);
            result ??= new Tensor(n, part.Shape[1]);
            part.Span.CopyTo(result.Span.Slice(start * part.Shape[1]));
        }
        return result!;
    }
}
