using System.CommandLine;
using ClipSharp.Datasets;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp datasets export fashion-mnist --out DIR`: real images for training and evaluation.</summary>
internal static class DatasetsCommand
{
    public static Command Create()
    {
        var source = new Option<string>("--source") { Description = "Folder with the IDX files", DefaultValueFactory = _ => FashionMnist.DebianDirectory };
        var output = new Option<string>("--out") { Description = "Output folder (gets train/ and test/ ImageFolder trees)", Required = true };
        var trainPerClass = new Option<int>("--train-per-class") { Description = "Training images per class", DefaultValueFactory = _ => 500 };
        var testPerClass = new Option<int>("--test-per-class") { Description = "Test images per class", DefaultValueFactory = _ => 100 };
        var export = new Command("fashion-mnist", "Export Fashion-MNIST as PNG ImageFolder trees (train/ from the training split, test/ from t10k).")
            { source, output, trainPerClass, testPerClass };
        export.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            var src = parse.GetValue(source)!;
            int train = ImageFolderExport.Export(FashionMnist.Load(src, "train"), Path.Combine(dir, "train"), parse.GetValue(trainPerClass));
            int test = ImageFolderExport.Export(FashionMnist.Load(src, "t10k"), Path.Combine(dir, "test"), parse.GetValue(testPerClass));
            Console.WriteLine($"wrote {train} training and {test} test images under {dir} ({FashionMnist.ClassNames.Count} classes)");
            return 0;
        });
        var exportGroup = new Command("export", "Export a dataset as image files.") { export };
        return new Command("datasets", "Datasets for training and evaluation.") { exportGroup };
    }
}
