using ClipSharp.Imaging.Encoding;

namespace ClipSharp.Datasets;

/// <summary>Writes a labelled image dataset as an ImageFolder tree: DIR/{class name}/{index}.png.</summary>
public static class ImageFolderExport
{
    /// <summary>
    /// Exports up to <paramref name="perClass"/> images of each class from a Fashion-MNIST split,
    /// taking them in file order; returns the number written.
    /// </summary>
    public static int Export(FashionMnist data, string directory, int perClass, IProgress<int>? progress = null)
    {
        var written = new int[FashionMnist.ClassNames.Count];
        int total = 0;
        for (int i = 0; i < data.Count; i++)
        {
            int label = data.Labels[i];
            if (written[label] >= perClass) continue;
            var classDir = Path.Combine(directory, FashionMnist.ClassNames[label]);
            Directory.CreateDirectory(classDir);
            PngWriter.Save(Path.Combine(classDir, $"{i:D5}.png"), data.Image(i));
            written[label]++;
            total++;
            progress?.Report(total);
            if (written.All(w => w >= perClass)) break;
        }
        return total;
    }
}
