using ClipSharp.Models;
using System.CommandLine;
using System.Text.Json;
using ClipSharp.ZeroShot;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp classify IMAGES|DIR --labels ...`: zero-shot classification with prompt ensembling.</summary>
internal static class ClassifyCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Image files or folders", Arity = ArgumentArity.OneOrMore };
        var labels = new Option<string?>("--labels") { Description = "\"cat,dog,car\", a labels file, or \"imagenet\"" };
        var labelsFile = new Option<string?>("--labels-file") { Description = "File with one label per line (or a JSON array)" };
        var templates = new Option<string>("--templates") { Description = "openai | simple | single | FILE", DefaultValueFactory = _ => "openai" };
        var top = new Option<int>("--top") { Description = "Predictions per image", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "One JSON object per image" };
        var noCache = new Option<bool>("--no-cache") { Description = "Do not read or write the classifier cache" };
        var model = new ModelOptions();
        var cmd = new Command("classify", "Zero-shot classification: which label fits each image best?") { images, labels, labelsFile, templates, top, json, noCache };
        model.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var labelList = ResolveLabels(parse.GetValue(labels), parse.GetValue(labelsFile));
            var templateList = PromptSets.Templates(parse.GetValue(templates)!);
            var pipeline = model.Load(parse);
            var classifier = BuildClassifier(pipeline, labelList, templateList, !parse.GetValue(noCache));
            var paths = ImageFiles.Expand(parse.GetValue(images)!);
            var result = pipeline.EncodeImageFiles(paths, batchSize: parse.GetValue(model.Batch));
            ModelOptions.ReportFailuresRequiringSome(result);
            var probs = classifier.Probabilities(pipeline.Context, result.Features, pipeline.Encoder);
            bool sigmoid = pipeline.Scoring == ScoreKind.Sigmoid;
            if (sigmoid && !parse.GetValue(json)) Console.WriteLine("# probabilities: sigmoid, independent per label (a row need not sum to 1)");
            int k = labelList.Count, n = result.Paths.Count, topK = Math.Max(1, parse.GetValue(top));
            for (int i = 0; i < n; i++)
            {
                var best = classifier.Top(probs.Span.Slice(i * k, k), topK);
                if (parse.GetValue(json))
                    Console.WriteLine(JsonSerializer.Serialize(new
                    {
                        image = result.Paths[i],
                        scoring = sigmoid ? "sigmoid" : "softmax",
                        predictions = best.Select(b => new { label = b.Label, index = b.Index, probability = b.Probability }),
                        probabilities = probs.Span.Slice(i * k, k).ToArray(),
                    }));
                else
                    Console.WriteLine($"{result.Paths[i]}\n" + string.Join("\n", best.Select(b => $"  {b.Probability,7:P2}  {b.Label}")));
            }
            return 0;  // skipped files were reported on stderr
        });
        return cmd;
    }

    internal static IReadOnlyList<string> ResolveLabels(string? labels, string? labelsFile)
    {
        if (labels is not null && labelsFile is not null) throw new ArgumentException("give --labels or --labels-file, not both");
        if (labelsFile is not null) return PromptSets.ReadList(labelsFile, "labels");
        if (labels is not null) return PromptSets.Labels(labels);
        throw new ArgumentException("no labels: give --labels \"cat,dog\", --labels-file FILE or --labels imagenet");
    }

    /// <summary>The classifier for these labels and templates, from the cache when it was built before.</summary>
    internal static ZeroShotClassifier BuildClassifier(ClipPipeline pipeline, IReadOnlyList<string> labels, IReadOnlyList<string> templates, bool useCache)
    {
        ZeroShotClassifier Build() => ZeroShotClassifier.Build(labels, templates, prompts => pipeline.EncodeTexts(prompts, truncate: true));
        if (!useCache) return Build();
        return new ClassifierCache(ModelOptions.CacheDirectory())
            .GetOrBuild(pipeline.OutputId, labels, templates, Build);
    }
}
