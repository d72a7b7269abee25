using System.Text;

namespace ClipSharp.Evaluation;

/// <summary>Top-1/top-5 accuracy, per-class accuracy and the confusion matrix of a classifier's scores.</summary>
public sealed record ClassificationReport(
    IReadOnlyList<string> Labels,
    int Samples,
    double Top1,
    double Top5,
    IReadOnlyList<double> PerClassAccuracy,
    IReadOnlyList<int> PerClassCount,
    int[,] Confusion)
{
    /// <summary>Mean of the per-class accuracies over classes that have samples.</summary>
    public double MeanPerClassAccuracy =>
        PerClassCount.Select((c, i) => (c, i)).Where(t => t.c > 0).Select(t => PerClassAccuracy[t.i]).DefaultIfEmpty(0).Average();

    /// <summary>
    /// Scores each sample: <paramref name="scores"/> is (N, K) row-major; truth[n] the true class.
    /// A sample counts for top-k when fewer than k classes score strictly higher than the truth
    /// (ties resolved in the truth's favour only if it comes first by index, as argmax would).
    /// </summary>
    public static ClassificationReport Compute(ReadOnlySpan<float> scores, IReadOnlyList<int> truth, IReadOnlyList<string> labels)
    {
        int n = truth.Count, k = labels.Count;
        if (scores.Length != n * k) throw new ArgumentException($"scores have {scores.Length} values, expected {n} × {k}");
        var confusion = new int[k, k];
        var correct = new int[k];
        var count = new int[k];
        int top1 = 0, top5 = 0;
        for (int i = 0; i < n; i++)
        {
            var row = scores.Slice(i * k, k);
            int t = truth[i];
            if ((uint)t >= (uint)k) throw new ArgumentException($"sample {i} has class {t}, outside [0, {k})");
            int rank = 0, predicted = 0;
            for (int j = 0; j < k; j++)
            {
                if (row[j] > row[t] || (row[j] == row[t] && j < t)) rank++;
                if (row[j] > row[predicted]) predicted = j;
            }
            confusion[t, predicted]++;
            count[t]++;
            if (rank == 0) { top1++; correct[t]++; }
            if (rank < 5) top5++;
        }
        var perClass = Enumerable.Range(0, k).Select(c => count[c] == 0 ? 0.0 : (double)correct[c] / count[c]).ToArray();
        return new ClassificationReport(labels, n, n == 0 ? 0 : (double)top1 / n, n == 0 ? 0 : (double)top5 / n, perClass, count, confusion);
    }

    /// <summary>A Markdown summary with a per-class table.</summary>
    public string ToMarkdown(string title)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine();
        sb.AppendLine($"- samples: {Samples}");
        sb.AppendLine($"- top-1: {Top1:P2}");
        sb.AppendLine($"- top-5: {Top5:P2}");
        sb.AppendLine($"- mean per-class accuracy: {MeanPerClassAccuracy:P2}").AppendLine();
        sb.AppendLine("| class | samples | accuracy |").AppendLine("|---|---:|---:|");
        for (int c = 0; c < Labels.Count; c++)
            sb.AppendLine($"| {Labels[c].Replace("|", "\\|")} | {PerClassCount[c]} | {PerClassAccuracy[c]:P1} |");
        return sb.ToString();
    }

    /// <summary>A JSON-friendly object (the confusion matrix as nested arrays).</summary>
    public object ToJson() => new
    {
        samples = Samples,
        top1 = Top1,
        top5 = Top5,
        mean_per_class_accuracy = MeanPerClassAccuracy,
        labels = Labels,
        per_class_accuracy = PerClassAccuracy,
        per_class_count = PerClassCount,
        confusion = Enumerable.Range(0, Labels.Count).Select(r => Enumerable.Range(0, Labels.Count).Select(c => Confusion[r, c]).ToArray()).ToArray(),
    };
}

/// <summary>Image↔text retrieval recall@k, as reported in the CLIP paper.</summary>
public sealed record RetrievalReport(int Images, int Texts, IReadOnlyDictionary<int, double> ImageToText, IReadOnlyDictionary<int, double> TextToImage)
{
    /// <summary>
    /// similarity: (I, T) row-major; textImage[t] is the image text t describes. Image→text recall@k:
    /// fraction of images with at least one of their texts among the k most similar texts.
    /// Text→image recall@k: fraction of texts whose image is among the k most similar images.
    /// </summary>
    public static RetrievalReport Compute(ReadOnlySpan<float> similarity, int images, IReadOnlyList<int> textImage, int[]? ks = null)
    {
        ks ??= [1, 5, 10];
        int texts = textImage.Count;
        if (similarity.Length != images * texts) throw new ArgumentException($"similarity has {similarity.Length} values, expected {images} × {texts}");
        var i2t = ks.ToDictionary(k => k, _ => 0.0);
        var t2i = ks.ToDictionary(k => k, _ => 0.0);
        for (int i = 0; i < images; i++)
        {
            var row = similarity.Slice(i * texts, texts);
            // Best rank among this image's texts: how many texts score strictly higher.
            int best = int.MaxValue;
            for (int t = 0; t < texts; t++)
            {
                if (textImage[t] != i) continue;
                int rank = 0;
                for (int u = 0; u < texts; u++) if (row[u] > row[t]) rank++;
                best = Math.Min(best, rank);
            }
            foreach (var k in ks) if (best < k) i2t[k]++;
        }
        for (int t = 0; t < texts; t++)
        {
            int truth = textImage[t], rank = 0;
            float target = similarity[truth * texts + t];
            for (int i = 0; i < images; i++) if (similarity[i * texts + t] > target) rank++;
            foreach (var k in ks) if (rank < k) t2i[k]++;
        }
        foreach (var k in ks)
        {
            i2t[k] = images == 0 ? 0 : i2t[k] / images;
            t2i[k] = texts == 0 ? 0 : t2i[k] / texts;
        }
        return new RetrievalReport(images, texts, i2t, t2i);
    }

    public string ToMarkdown(string title)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# {title}").AppendLine().AppendLine($"{Images} images, {Texts} texts.").AppendLine();
        sb.AppendLine("| direction | " + string.Join(" | ", ImageToText.Keys.Select(k => $"R@{k}")) + " |");
        sb.AppendLine("|---|" + string.Concat(ImageToText.Keys.Select(_ => "---:|")));
        sb.AppendLine("| image → text | " + string.Join(" | ", ImageToText.Values.Select(v => $"{v:P1}")) + " |");
        sb.AppendLine("| text → image | " + string.Join(" | ", TextToImage.Values.Select(v => $"{v:P1}")) + " |");
        return sb.ToString();
    }

    public object ToJson() => new
    {
        images = Images,
        texts = Texts,
        image_to_text = ImageToText.ToDictionary(kv => $"R@{kv.Key}", kv => kv.Value),
        text_to_image = TextToImage.ToDictionary(kv => $"R@{kv.Key}", kv => kv.Value),
    };
}
