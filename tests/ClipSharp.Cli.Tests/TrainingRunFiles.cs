using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>The small training set and the metrics log reader the training CLI tests share.</summary>
internal static class TrainingRunFiles
{
    /// <summary>pairs.csv in <paramref name="dir"/> (written once): five fixture photos with captions.</summary>
    public static string PairsCsv(CliHarness.TempDir dir)
    {
        var path = dir.File("pairs.csv");
        if (File.Exists(path)) return path;
        var images = Fixtures.Path("vit-tiny", "images");
        File.WriteAllLines(path,
        [
            "filepath,title",
            $"{Path.Combine(images, "astronaut.png")},a photo of an astronaut",
            $"{Path.Combine(images, "camera.png")},a camera",
            $"{Path.Combine(images, "chelsea.png")},a photo of a cat",
            $"{Path.Combine(images, "coffee_progressive.jpg")},two cups of coffee",
            $"{Path.Combine(images, "rocket.png")},a rocket",
        ]);
        return path;
    }

    /// <summary>The loss logged for each step, the latest line winning (a resumed run repeats steps).</summary>
    public static SortedDictionary<long, double> Losses(string run)
    {
        var losses = new SortedDictionary<long, double>();
        foreach (var line in File.ReadAllLines(Path.Combine(run, "metrics.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.TryGetProperty("loss", out var loss))
                losses[doc.RootElement.GetProperty("step").GetInt64()] = loss.GetDouble();
        }
        return losses;
    }
}
