using System.Text;
using ClipSharp.Datasets;
using ClipSharp.Imaging;
using ClipSharp.ZeroShot;

namespace ClipSharp.Training;

/// <summary>Image–caption pairs for contrastive training, by index.</summary>
public interface IPairDataset
{
    int Count { get; }

    /// <summary>Names pair <paramref name="index"/> in log lines (its file, where it has one).</summary>
    string Describe(int index);

    /// <summary>Decodes the image of pair <paramref name="index"/>.</summary>
    ImageFrame Image(int index);

    /// <summary>The caption of pair <paramref name="index"/>; <paramref name="epoch"/> lets class datasets vary the template.</summary>
    string Caption(int index, int epoch);
}

/// <summary>
/// A CSV or TSV file with a header row naming an image column and a caption column (open_clip's
/// --csv-img-key/--csv-caption-key; defaults "filepath" and "title"). Tab-separated when the file
/// ends in .tsv. Relative image paths are resolved against the file's folder. Fields may be quoted
/// with "…" ("" inside a quoted field is a quote).
/// </summary>
public sealed class CsvPairDataset : IPairDataset
{
    private readonly List<(string Path, string Caption)> _rows = new();

    public CsvPairDataset(string path, string imageColumn = "filepath", string captionColumn = "title")
    {
        char separator = path.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
        var lines = Datasets.CaptionFile.Parse(File.ReadAllText(path, Encoding.UTF8), separator, path);
        if (lines.Count == 0) throw new InvalidDataException($"{path}: empty file, expected a header row");
        var header = lines[0];
        int img = header.IndexOf(imageColumn), cap = header.IndexOf(captionColumn);
        if (img < 0 || cap < 0)
            throw new InvalidDataException($"{path}: header has columns [{string.Join(", ", header)}], expected '{imageColumn}' and '{captionColumn}'");
        var root = Path.GetDirectoryName(Path.GetFullPath(path))!;
        for (int i = 1; i < lines.Count; i++)
        {
            var fields = lines[i];
            if (fields.Count == 1 && fields[0].Length == 0) continue;
            if (fields.Count <= Math.Max(img, cap))
                throw new InvalidDataException($"{path}: line {i + 1} has {fields.Count} fields, expected at least {Math.Max(img, cap) + 1}");
            _rows.Add((Path.IsPathRooted(fields[img]) ? fields[img] : Path.Combine(root, fields[img]), fields[cap]));
        }
        if (_rows.Count == 0) throw new InvalidDataException($"{path}: no data rows");
    }

    public int Count => _rows.Count;

    public string Describe(int index) => _rows[index].Path;

    public ImageFrame Image(int index) => ImageDecoder.Decode(_rows[index].Path);

    public string Caption(int index, int epoch) => _rows[index].Caption;

}

/// <summary>
/// Labelled images turned into captions with prompt templates ("a photo of a {}."): the template for
/// (index, epoch) is picked by a fixed hash, so a run is reproducible and resumable.
/// </summary>
public sealed class LabelledPairDataset : IPairDataset
{
    private readonly Func<int, ImageFrame> _image;
    private readonly Func<int, int> _label;
    private readonly Func<int, string> _describe;

    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<string> Templates { get; }
    public int Count { get; }

    public LabelledPairDataset(int count, Func<int, ImageFrame> image, Func<int, int> label, IReadOnlyList<string> classes,
        IReadOnlyList<string>? templates = null, Func<int, string>? describe = null)
    {
        (Count, _image, _label, Classes) = (count, image, label, classes);
        _describe = describe ?? (i => $"sample {i}");
        Templates = templates is { Count: > 0 } ? templates : PromptSets.Single;
    }

    /// <summary>An ImageFolder tree (ROOT/CLASS/IMAGE); class names have '_' read as spaces.</summary>
    public static LabelledPairDataset FromImageFolder(string root, IReadOnlyList<string>? templates = null)
    {
        var (classes, samples) = ImageFiles.ImageFolder(root);
        return new LabelledPairDataset(samples.Count, i => ImageDecoder.Decode(samples[i].Path), i => samples[i].Label,
            classes.Select(c => c.Replace('_', ' ')).ToArray(), templates, i => samples[i].Path);
    }

    /// <summary>A Fashion-MNIST split ("train" or "t10k").</summary>
    public static LabelledPairDataset FromFashionMnist(string directory, string split, IReadOnlyList<string>? templates = null)
    {
        var data = FashionMnist.Load(directory, split);
        return new LabelledPairDataset(data.Count, data.Image, i => data.Labels[i], FashionMnist.ClassNames, templates,
            i => $"fashion-mnist {split} #{i}");
    }

    public int Label(int index) => _label(index);

    public string Describe(int index) => _describe(index);

    public ImageFrame Image(int index) => _image(index);

    public string Caption(int index, int epoch)
    {
        ulong h = DataOrder.Mix((ulong)index * 0x9E3779B97F4A7C15UL ^ (ulong)epoch);
        var template = Templates[(int)(h % (ulong)Templates.Count)];
        return PromptSets.Fill(template, Classes[_label(index)]);
    }
}

/// <summary>
/// The order samples are visited in: a Fisher–Yates permutation per epoch from a SplitMix64 stream
/// seeded by (seed, epoch). The whole "RNG state" is (seed, epoch, position), so resuming is exact.
/// </summary>
public static class DataOrder
{
    public static int[] Permutation(int count, ulong seed, int epoch)
    {
        var order = Enumerable.Range(0, count).ToArray();
        ulong state = Mix(seed ^ ((ulong)epoch + 1) * 0xD1B54A32D192ED03UL);
        for (int i = count - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            int j = (int)(Mix(state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>SplitMix64's finaliser.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
