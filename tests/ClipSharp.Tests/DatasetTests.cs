using ClipSharp.Datasets;

namespace ClipSharp.Tests;

public class DatasetTests
{
    [Fact]
    public void FashionMnistTestSplitHasTenBalancedClasses()
    {
        // Installed by scripts/setup.sh (Debian package dataset-fashion-mnist).
        var data = FashionMnist.Load(FashionMnist.DebianDirectory, "t10k");
        Assert.Equal(10_000, data.Count);
        Assert.Equal((28, 28), (data.Rows, data.Columns));
        Assert.All(data.Labels.GroupBy(l => l), g => Assert.Equal(1000, g.Count()));
        var image = data.Image(0);
        Assert.Equal(28 * 28, image.Pixels.Length);
        Assert.Contains(image.Pixels, p => p > 0);
    }

    [Fact]
    public void MissingDatasetNamesThePackage()
    {
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load(Path.GetTempPath(), "t10k"));
        Assert.Contains("dataset-fashion-mnist", e.Message);
    }

}

public class ImageFolderExportTests
{
    [Fact]
    public void ExportWritesTheRequestedNumberPerClass()
    {
        var dir = Directory.CreateTempSubdirectory("fm-export-").FullName;
        try
        {
            var data = FashionMnist.Load(FashionMnist.DebianDirectory, "t10k");
            Assert.Equal(30, ImageFolderExport.Export(data, dir, perClass: 3));
            var classes = Directory.GetDirectories(dir).Select(Path.GetFileName).Order().ToArray();
            Assert.Equal(FashionMnist.ClassNames.Order(), classes);
            Assert.All(Directory.GetDirectories(dir), d => Assert.Equal(3, Directory.GetFiles(d, "*.png").Length));
            var first = File.ReadAllBytes(Directory.GetFiles(Path.Combine(dir, "bag"))[0]);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], first[..4]);
        }
        finally { Directory.Delete(dir, true); }
    }
}
