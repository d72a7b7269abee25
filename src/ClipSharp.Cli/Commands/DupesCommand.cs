using System.CommandLine;
using System.Text.Json;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp dupes [--dir DIR | --db PATH] [--threshold 0.95] [--json]`: groups of near-duplicate images.</summary>
internal static class DupesCommand
{
    public static Command Create()
    {
        var location = new IndexLocation();
        var threshold = new Option<float>("--threshold") { Description = "Cosine similarity that counts as a duplicate", DefaultValueFactory = _ => 0.95f };
        var json = new Option<bool>("--json") { Description = "One JSON object per group" };
        var cmd = new Command("dupes", "List groups of near-duplicate images in an index.") { threshold, json };
        location.AddTo(cmd, withModel: false);
        cmd.SetAction(parse =>
        {
            float t = parse.GetValue(threshold);
            if (!(t is >= -1 and <= 1)) throw new ArgumentException($"--threshold is a cosine similarity in [-1, 1], got {t}");
            using var index = location.OpenSearchable(parse);
            var groups = index.Dupes(t);
            foreach (var g in groups)
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { min_score = g.MinScore, images = g.Images.Select(i => new { id = i.Id, path = i.RelativePath }) })
                    : $"{g.MinScore:F4}  " + string.Join("  ", g.Images.Select(i => i.RelativePath)));
            if (!parse.GetValue(json))
                Console.Error.WriteLine($"{groups.Count} groups ({groups.Sum(g => g.Images.Count)} images) at cosine ≥ {t} among {index.Count} images");
            return 0;
        });
        return cmd;
    }
}
