using ClipSharp.Datasets;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;
using ClipSharp.ZeroShot;

namespace ClipSharp.Training;

/// <summary>
/// Zero-shot top-1 on a held-out labelled set, for monitoring training: the images are decoded and
/// preprocessed once; each evaluation builds the prompt-ensemble classifier from the current weights.
/// </summary>
public sealed class ZeroShotValidation
{
    private readonly Tensor _pixels;   // (N, 3, R, R)
    private readonly int[] _truth;
    private readonly IReadOnlyList<string> _labels;
    private readonly IReadOnlyList<string> _templates;
    private readonly ITextTokenizer _tokenizer;

    public int Count => _truth.Length;

    public ZeroShotValidation(IReadOnlyList<string> labels, IReadOnlyList<string> templates, Tensor pixels, int[] truth, ITextTokenizer tokenizer)
    {
        if (pixels.Shape[0] != truth.Length) throw new ArgumentException($"{pixels.Shape[0]} images but {truth.Length} labels");
        (_labels, _templates, _pixels, _truth, _tokenizer) = (labels, templates, pixels, truth, tokenizer);
    }

    /// <summary>The first <paramref name="limit"/> images of Fashion-MNIST's test split.</summary>
    public static ZeroShotValidation FromFashionMnist(string directory, int limit, PreprocessConfig config, IReadOnlyList<string> templates, ITextTokenizer tokenizer)
    {
        var data = FashionMnist.Load(directory, "t10k");
        int n = Math.Min(limit, data.Count);
        return Build(n, i => data.Image(i), i => data.Labels[i], FashionMnist.ClassNames, config, templates, tokenizer);
    }

    /// <summary>Up to <paramref name="limit"/> images of an ImageFolder tree, spread over the classes.</summary>
    public static ZeroShotValidation FromImageFolder(string root, int limit, PreprocessConfig config, IReadOnlyList<string> templates, ITextTokenizer tokenizer)
    {
        var (classes, samples) = ImageFiles.ImageFolder(root);
        var picked = samples.Where((_, i) => i % Math.Max(1, samples.Count / Math.Max(1, limit)) == 0).Take(limit).ToArray();
        var labels = classes.Select(c => c.Replace('_', ' ')).ToArray();
        return Build(picked.Length, i => ImageDecoder.Decode(picked[i].Path), i => picked[i].Label, labels, config, templates, tokenizer);
    }

    private static ZeroShotValidation Build(int n, Func<int, ImageFrame> image, Func<int, int> label, IReadOnlyList<string> labels,
        PreprocessConfig config, IReadOnlyList<string> templates, ITextTokenizer tokenizer)
    {
        var pre = new Preprocessor(config);
        var pixels = new Tensor(n, 3, pre.OutputSize, pre.OutputSize);
        var truth = new int[n];
        for (int i = 0; i < n; i++)
        {
            pre.Preprocess(image(i), pixels.Span.Slice(i * pre.OutputLength, pre.OutputLength));
            truth[i] = label(i);
        }
        return new ZeroShotValidation(labels, templates, pixels, truth, tokenizer);
    }

    /// <summary>
    /// Top-1 accuracy of the model as it is now (prompt ensemble, argmax of the cosine, which is the argmax of
    /// either family's logits: both are increasing in the cosine).
    /// </summary>
    public double Top1(IImageTextEncoder model, ComputeContext ctx, int batchSize = 500)
    {
        int l = model.ContextLength;
        var classifier = ZeroShotClassifier.Build(_labels, _templates, prompts =>
        {
            var ids = new int[prompts.Count * l];
            for (int i = 0; i < prompts.Count; i++) _tokenizer.EncodeRow(prompts[i], ids.AsSpan(i * l, l), truncate: true, textIndex: i);
            return model.EncodeText(ctx, ids, prompts.Count);
        });
        int correct = 0;
        for (int start = 0; start < Count; start += batchSize)
        {
            int count = Math.Min(batchSize, Count - start);
            var cos = classifier.Cosine(ctx, model.EncodeImage(ctx, _pixels.Slice(start, count)));
            int k = _labels.Count;
            for (int i = 0; i < count; i++)
            {
                var row = cos.Span.Slice(i * k, k);
                int best = 0;
                for (int j = 1; j < k; j++) if (row[j] > row[best]) best = j;
                if (best == _truth[start + i]) correct++;
            }
        }
        return Count == 0 ? 0 : (double)correct / Count;
    }
}
