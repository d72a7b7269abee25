using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClipSharp.Models;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp tag IMAGES --labels-file policies.txt [--threshold 0.25]`: multi-label tagging and
/// policy scoring. Every label whose cosine similarity with the image passes its threshold is
/// reported. A line "a photo containing a weapon | 0.28" (or a tab) sets that label's own threshold.
/// SigLIP models score each label by its own sigmoid probability instead (independent labels, default threshold 0.5).
/// </summary>
internal static class TagCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Image files or folders", Arity = ArgumentArity.OneOrMore };
        var labelsFile = new Option<string>("--labels-file") { Description = "One label or policy per line, optionally \"| threshold\"", Required = true };
        var threshold = new Option<float?>("--threshold") { Description = "Default threshold: cosine for CLIP (0.25), sigmoid probability for SigLIP (0.5)" };
        var json = new Option<bool>("--json") { Description = "One JSON object per image" };
        var model = new ModelOptions();
        var cmd = new Command("tag", "Report every label or policy whose similarity with the image passes its threshold.") { images, labelsFile, threshold, json };
        model.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var pipeline = model.Load(parse);
            bool sigmoid = pipeline.Scoring == ScoreKind.Sigmoid;
            var policies = ReadPolicies(parse.GetValue(labelsFile)!, parse.GetValue(threshold) ?? (sigmoid ? 0.5f : 0.25f));
            var text = pipeline.EncodeTexts(policies.Select(p => p.Label).ToArray());
            var result = pipeline.EncodeImageFiles(ImageFiles.Expand(parse.GetValue(images)!), batchSize: parse.GetValue(model.Batch));
            ModelOptions.ReportFailuresRequiringSome(result);
            int n = result.Paths.Count, k = policies.Count;
            // The score: cosine (CLIP) or the pair's own sigmoid probability (SigLIP).
            var cos = (sigmoid ? pipeline.Probabilities(pipeline.Score(result.Features, text)) : pipeline.Cosine(result.Features, text)).Span.ToArray();
            if (sigmoid && !parse.GetValue(json)) Console.WriteLine("# scores: sigmoid probabilities, independent per label");
            for (int i = 0; i < n; i++)
            {
                var hits = Enumerable.Range(0, k).Where(j => cos[i * k + j] >= policies[j].Threshold)
                    .OrderByDescending(j => cos[i * k + j]).ToArray();
                if (parse.GetValue(json))
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        image = result.Paths[i],
                        scoring = sigmoid ? "sigmoid" : "cosine",
                        tags = hits.Select(j => new { label = policies[j].Label, score = cos[i * k + j], threshold = policies[j].Threshold }),
                        scores = Enumerable.Range(0, k).ToDictionary(j => policies[j].Label, j => cos[i * k + j]),
                    }));
                else
                    Console.WriteLine($"{result.Paths[i]}: " + (hits.Length == 0 ? "(no tags)" :
                        string.Join(", ", hits.Select(j => $"{policies[j].Label} ({cos[i * k + j]:F3})"))));
            }
            return 0;  // skipped files were reported on stderr
        });
        return cmd;
    }

    internal static IReadOnlyList<(string Label, float Threshold)> ReadPolicies(string path, float defaultThreshold)
    {
        var lines = ZeroShot.PromptSets.ReadList(path, "labels");
        return lines.Select((line, i) =>
        {
            int bar = line.LastIndexOf(" | ", StringComparison.Ordinal);
            int tab = line.LastIndexOf('\t');
            int at = Math.Max(bar, tab);
            if (at < 0) return (line, defaultThreshold);
            var label = line[..at].Trim();
            var value = line[(at + (at == bar ? 3 : 1))..].Trim();
            if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) || t < -1 || t > 1)
                throw new InvalidDataException($"{path}: line {i + 1}: threshold '{value}' is not a number in [-1, 1]");
            return (label, t);
        }).ToArray();
    }
}
