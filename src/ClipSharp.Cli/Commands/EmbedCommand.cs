using System.CommandLine;
using System.Text.Json;
using ClipSharp.IO;
using ClipSharp.Models;
using ClipSharp.Tensors;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp embed`: image_features and text_features (and logits_per_image when both are present)
/// from images, texts, or ready-made pixel/token tensors, written as .safetensors, .npy or .jsonl.
/// </summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelOption(required: true);
        var pixels = new Option<string?>("--pixels") { Description = "float32 (N,3,R,R) tensor: FILE.safetensors[:name] (default name pixel_values)" };
        var tokens = new Option<string?>("--tokens") { Description = "int32/int64 (N,L) tensor: FILE.safetensors[:name] (default name tokens)" };
        var images = new Option<string[]>("--images") { Description = "Image files or a directory", AllowMultipleArgumentsPerToken = true };
        var textsFile = new Option<string?>("--texts-file") { Description = "JSON array of strings" };
        var text = new Option<string[]>("--text") { Description = "A text to embed (repeatable)" };
        var normalize = new Option<bool>("--normalize") { Description = "L2-normalise the features" };
        var truncate = new Option<bool>("--truncate") { Description = "Cut texts longer than the context (last token = end of text) instead of failing" };
        var output = new Option<string>("--out") { Description = "OUT.safetensors | OUT.npy | OUT.jsonl", Required = true };
        var threads = ModelOptions.ThreadsOption();
        var batch = ModelOptions.BatchOption("Items per forward pass", 32);
        var precision = ModelOptions.PrecisionOption();
        var cmd = new Command("embed", "Encode images and texts into CLIP embeddings.")
            { model, pixels, tokens, images, textsFile, text, normalize, truncate, output, threads, batch, precision };
        cmd.SetAction(parse =>
        {
            var outPath = parse.GetValue(output)!;
            var ext = Path.GetExtension(outPath).ToLowerInvariant();
            if (ext is not (".safetensors" or ".npy" or ".jsonl"))
                throw new ArgumentException($"--out: unsupported extension '{ext}' (use .safetensors, .npy or .jsonl)");
            var modelPath = HubModelArgument.Resolve(parse.GetValue(model)!);
            var ctx = new ComputeContext(parse.GetValue(threads));
            var pipeline = ClipPipeline.Load(modelPath, ctx, ModelOptions.ParsePrecision(parse.GetValue(precision)!));
            if (pipeline.Encoder is ClipModel loaded) ModelOptions.ReportWarnings(loaded.LoadWarnings);
            var clip = pipeline.Encoder;
            int batchSize = Math.Max(1, parse.GetValue(batch));

            Tensor? imageFeatures = null, textFeatures = null;
            string[] imageSources = [], textSources = [];
            if (parse.GetValue(pixels) is { } pixelSpec)
            {
                if (pipeline.NaFlexImages is not null)
                    throw new ArgumentException($"--pixels: {modelPath} is a SigLIP 2 NaFlex model, which takes patches at each image's own size; give --images");
                var (file, name) = SplitSpec(pixelSpec, "pixel_values", "--pixels");
                using var st = SafetensorsFile.Open(file);
                var px = st.ReadTensor(name);
                imageFeatures = ClipPipeline.Batched(px.Shape[0], batchSize, (start, count) => clip.EncodeImage(ctx, px.Slice(start, count)));
                imageSources = Enumerable.Range(0, px.Shape[0]).Select(i => $"{file}:{name}[{i}]").ToArray();
            }
            var imagePaths = parse.GetValue(images) ?? [];
            if (imagePaths.Length > 0)
            {
                if (imageFeatures is not null) throw new ArgumentException("give either --pixels or --images, not both");
                var result = pipeline.EncodeImageFiles(ImageFiles.Expand(imagePaths), batchSize: batchSize);
                // With nothing else to embed, images that all fail are the command's error (one line for one file).
                bool more = parse.GetValue(tokens) is not null || parse.GetValue(textsFile) is not null || (parse.GetValue(text) ?? []).Length > 0;
                if (more) ModelOptions.ReportFailures(result.Failures);
                else ModelOptions.ReportFailuresRequiringSome(result);
                imageFeatures = result.Features;
                imageSources = result.Paths.ToArray();
            }
            if (parse.GetValue(tokens) is { } tokenSpec)
            {
                var (file, name) = SplitSpec(tokenSpec, "tokens", "--tokens");
                using var st = SafetensorsFile.Open(file);
                var ids = st.ReadInt32(name);
                var shape = st.Shape(name);
                int l = clip.ContextLength;
                if (shape.Length != 2 || shape[1] != l)
                    throw new ArgumentException($"{file}: '{name}' has shape {Tensor.FormatShape(shape)}, expected (N, {l}) for this model");
                textFeatures = ClipPipeline.Batched(shape[0], batchSize, (start, count) => clip.EncodeText(ctx, ids.AsSpan(start * l, count * l), count));
                textSources = Enumerable.Range(0, shape[0]).Select(i => $"{file}:{name}[{i}]").ToArray();
            }
            var texts = new List<string>(parse.GetValue(text) ?? []);
            if (parse.GetValue(textsFile) is { } tf) texts.AddRange(ReadTexts(tf));
            if (texts.Count > 0)
            {
                if (textFeatures is not null) throw new ArgumentException("give either --tokens or --text/--texts-file, not both");
                textFeatures = pipeline.EncodeTexts(texts, parse.GetValue(truncate), batchSize);
                textSources = texts.ToArray();
            }
            if (imageFeatures is null && textFeatures is null)
                throw new ArgumentException("nothing to embed: give --images, --pixels, --text, --texts-file or --tokens");

            Tensor? logits = imageFeatures is not null && textFeatures is not null ? clip.Logits(ctx, imageFeatures, textFeatures) : null;
            if (parse.GetValue(normalize))
            {
                if (imageFeatures is not null) imageFeatures = ClipModel.Normalized(imageFeatures);
                if (textFeatures is not null) textFeatures = ClipModel.Normalized(textFeatures);
            }
            Write(outPath, ext, imageFeatures, imageSources, textFeatures, textSources, logits);
            Console.Error.WriteLine($"wrote {outPath}: {imageFeatures?.Shape[0] ?? 0} image and {textFeatures?.Shape[0] ?? 0} text embeddings of width {clip.EmbedDim}");
            return 0;
        });
        return cmd;
    }

    internal static IReadOnlyList<string> ReadTexts(string path)
    {
        CommandHelpers.RequireFile(path, "--texts-file");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("texts", out var t) ? t : doc.RootElement;
        if (root.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{path}: expected a JSON array of strings (or {{\"texts\": [...]}})");
        return root.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : throw new InvalidDataException($"{path}: item {i} is {e.ValueKind}, expected a string")).ToArray();
    }

    /// <summary>"file.safetensors:name" → (file, name); a bare existing path gets the default name.</summary>
    internal static (string File, string Name) SplitSpec(string spec, string defaultName, string option)
    {
        if (File.Exists(spec)) return (spec, defaultName);
        int colon = spec.LastIndexOf(':');
        if (colon > 0 && File.Exists(spec[..colon])) return (spec[..colon], spec[(colon + 1)..]);
        throw new FileNotFoundException($"{option}: no such file: {(colon > 0 ? spec[..colon] : spec)}");
    }

    private static void Write(string path, string ext, Tensor? images, string[] imageSources, Tensor? texts, string[] textSources, Tensor? logits)
    {
        switch (ext)
        {
            case ".safetensors":
                var items = new List<SafetensorsItem>();
                if (images is not null) items.Add(new("image_features", images, DType.F32));
                if (texts is not null) items.Add(new("text_features", texts, DType.F32));
                if (logits is not null) items.Add(new("logits_per_image", logits, DType.F32));
                SafetensorsWriter.Write(path, items);
                break;
            case ".npy":
                if (images is not null && texts is not null)
                    throw new ArgumentException("--out .npy holds one array; with both images and texts use .safetensors or .jsonl");
                NpyWriter.Write(path, images ?? texts!);
                break;
            default:
                var tmp = path + ".tmp";
                using (var w = new StreamWriter(tmp))
                {
                    void Rows(string kind, Tensor? t, string[] sources)
                    {
                        if (t is null) return;
                        int e = t.Shape[1];
                        for (int i = 0; i < t.Shape[0]; i++)
                            w.WriteLine(JsonSerializer.Serialize(new { kind, index = i, source = sources[i], embedding = t.Span.Slice(i * e, e).ToArray() }));
                    }
                    Rows("image", images, imageSources);
                    Rows("text", texts, textSources);
                }
                File.Move(tmp, path, overwrite: true);
                break;
        }
    }
}
