using System.CommandLine;
using System.Text.Json;
using ClipSharp.Datasets;
using ClipSharp.Evaluation;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.ZeroShot;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp eval zeroshot|retrieval|linear-probe`: reports as JSON, Markdown and pictures.</summary>
internal static class EvalCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create() => new("eval", "Evaluate a model: zero-shot accuracy, retrieval recall, linear probes.")
    {
        ZeroShot(), Retrieval(), LinearProbeCommand(),
    };

    private static Command ZeroShot()
    {
        var data = new Option<string>("--data") { Description = "ImageFolder root: one sub-folder per class", Required = true };
        var templates = new Option<string>("--templates") { Description = "openai | simple | single | FILE", DefaultValueFactory = _ => "openai" };
        var output = new Option<string>("--out") { Description = "Report folder (report.json, report.md, confusion.svg)", DefaultValueFactory = _ => "eval-zeroshot" };
        var model = new ModelOptions();
        var cmd = new Command("zeroshot", "Zero-shot top-1/top-5 and per-class accuracy with a confusion-matrix picture.") { data, templates, output };
        model.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var (classes, samples) = ImageFiles.ImageFolder(parse.GetValue(data)!);
            var pipeline = model.Load(parse);
            var labels = classes.Select(c => c.Replace('_', ' ')).ToArray();
            var classifier = ClassifyCommand.BuildClassifier(pipeline, labels, PromptSets.Templates(parse.GetValue(templates)!), useCache: true);
            var (features, truth, failures) = EncodeLabelled(pipeline, samples, parse.GetValue(model.Batch));
            // SigLIP ranks by its own logits exp(logit_scale)·cos + logit_bias (sigmoid probabilities saturate to
            // ties in float32 where the logits still differ); CLIP by softmax(100·cos) as before.
            var scores = pipeline.Scoring == ScoreKind.Sigmoid
                ? pipeline.Score(features, classifier.Weights)
                : classifier.Probabilities(pipeline.Context, features);
            var report = ClassificationReport.Compute(scores.Span, truth, labels);
            var dir = parse.GetValue(output)!;
            Directory.CreateDirectory(dir);
            WriteReport(dir, "Zero-shot classification", report.ToJson(), report.ToMarkdown($"Zero-shot classification: {parse.GetValue(data)}"), failures);
            File.WriteAllText(Path.Combine(dir, "confusion.svg"), ConfusionMatrixSvg.Render(report.Confusion, labels, $"Zero-shot confusion matrix (top-1 {report.Top1:P1})"));
            string ranked = pipeline.Scoring == ScoreKind.Sigmoid ? " (ranked by SigLIP logits)" : "";
            Console.WriteLine($"top-1 {report.Top1:P2}, top-5 {report.Top5:P2}, mean per-class {report.MeanPerClassAccuracy:P2} over {report.Samples} images{ranked}; report in {dir}/");
            return 0;
        });
        return cmd;
    }

    private static Command Retrieval()
    {
        var data = new Option<string>("--data") { Description = "CSV/TSV with image and caption columns", Required = true };
        var output = new Option<string?>("--out") { Description = "Report folder (report.json, report.md)" };
        var model = new ModelOptions();
        var cmd = new Command("retrieval", "Image→text and text→image recall@1/5/10.") { data, output };
        model.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var pairs = CaptionFile.Read(parse.GetValue(data)!);
            var pipeline = model.Load(parse);
            var images = pairs.Select(p => p.Image).Distinct().ToArray();
            var result = pipeline.EncodeImageFiles(images, batchSize: parse.GetValue(model.Batch));
            ModelOptions.ReportFailures(result.Failures);
            if (result.Features is null) throw new InvalidDataException("no image could be read");
            var index = result.Paths.Select((p, i) => (p, i)).ToDictionary(t => t.p, t => t.i);
            var usable = pairs.Where(p => index.ContainsKey(p.Image)).ToArray();
            var text = pipeline.EncodeTexts(usable.Select(p => p.Caption).ToArray());
            int n = result.Features.Shape[0];
            var sim = pipeline.Cosine(result.Features, text).Span.ToArray();
            var report = RetrievalReport.Compute(sim, n, usable.Select(p => index[p.Image]).ToArray());
            var md = report.ToMarkdown($"Retrieval: {parse.GetValue(data)}");
            if (parse.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                WriteReport(dir, "Retrieval", report.ToJson(), md, result.Failures);
            }
            Console.WriteLine(md);
            return 0;
        });
        return cmd;
    }

    private static Command LinearProbeCommand()
    {
        var train = new Option<string>("--train") { Description = "ImageFolder root for training", Required = true };
        var test = new Option<string>("--test") { Description = "ImageFolder root for testing (same class folders)", Required = true };
        var output = new Option<string?>("--out") { Description = "Report folder (report.json, report.md)" };
        var model = new ModelOptions();
        var cmd = new Command("linear-probe", "Logistic regression on frozen image features; λ chosen on a validation split.") { train, test, output };
        model.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var (classes, trainSamples) = ImageFiles.ImageFolder(parse.GetValue(train)!);
            var (testClasses, testSamples) = ImageFiles.ImageFolder(parse.GetValue(test)!);
            if (!classes.SequenceEqual(testClasses))
                throw new InvalidDataException($"--train and --test have different class folders: {string.Join(",", classes)} vs {string.Join(",", testClasses)}");
            var pipeline = model.Load(parse);
            var (trX, trY, f1) = EncodeLabelled(pipeline, trainSamples, parse.GetValue(model.Batch));
            var (teX, teY, f2) = EncodeLabelled(pipeline, testSamples, parse.GetValue(model.Batch));
            var (probe, sweep) = LinearProbe.TrainWithValidation(Rows(ClipModel.Normalized(trX)), trY.ToArray(), classes.Count);
            var testRows = Rows(ClipModel.Normalized(teX));
            var scores = new float[testRows.Length * classes.Count];
            for (int i = 0; i < testRows.Length; i++)
            {
                var z = probe.Logits(testRows[i]);
                for (int c = 0; c < classes.Count; c++) scores[i * classes.Count + c] = (float)z[c];
            }
            var report = ClassificationReport.Compute(scores, teY, classes);
            var md = report.ToMarkdown($"Linear probe (λ = {probe.Lambda:G3}, {trY.Count} training images)");
            var json = new { lambda = probe.Lambda, sweep = sweep.Select(s => new { lambda = s.Lambda, validation_accuracy = s.Accuracy }), test = report.ToJson() };
            if (parse.GetValue(output) is { } dir)
            {
                Directory.CreateDirectory(dir);
                WriteReport(dir, "Linear probe", json, md, [.. f1, .. f2]);
            }
            Console.WriteLine($"linear probe: top-1 {report.Top1:P2} on {report.Samples} test images (λ = {probe.Lambda:G3})");
            return 0;
        });
        return cmd;
    }

    /// <summary>Encodes an ImageFolder's samples; unreadable files are reported and dropped with their labels.</summary>
    private static (Tensor Features, List<int> Labels, IReadOnlyList<ImageFailure> Failures) EncodeLabelled(
        ClipPipeline pipeline, IReadOnlyList<(string Path, int Label)> samples, int batch)
    {
        var result = pipeline.EncodeImageFiles(samples.Select(s => s.Path).ToArray(), batchSize: batch);
        ModelOptions.ReportFailures(result.Failures);
        if (result.Features is null) throw new InvalidDataException("no image could be read");
        var labelOf = samples.ToDictionary(s => s.Path, s => s.Label);
        return (result.Features, result.Paths.Select(p => labelOf[p]).ToList(), result.Failures);
    }

    private static float[][] Rows(Tensor t)
    {
        int e = t.Shape[1];
        return Enumerable.Range(0, t.Shape[0]).Select(i => t.Span.Slice(i * e, e).ToArray()).ToArray();
    }

    private static void WriteReport(string dir, string title, object json, string markdown, IReadOnlyList<ImageFailure> failures)
    {
        File.WriteAllText(Path.Combine(dir, "report.json"), JsonSerializer.Serialize(new { title, result = json, skipped = failures }, Indented));
        var md = markdown;
        if (failures.Count > 0) md += "\n## Skipped files\n\n" + string.Join("\n", failures.Select(f => $"- {f.Path}: {f.Reason}")) + "\n";
        File.WriteAllText(Path.Combine(dir, "report.md"), md);
    }
}
