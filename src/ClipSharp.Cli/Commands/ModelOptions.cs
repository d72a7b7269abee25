using System.CommandLine;
using ClipSharp.Tensors;

namespace ClipSharp.Cli.Commands;

/// <summary>Options every model-using command shares: --model and --threads, and the pipeline they build.</summary>
internal sealed class ModelOptions
{
    public Option<string> Model { get; } = (Option<string>)ModelOption(required: true);
    public Option<int> Threads { get; } = ThreadsOption();
    public Option<int> Batch { get; } = BatchOption("Images per forward pass", 32);
    public Option<bool> FastDecode { get; } = new("--fast-decode") { Description = "Decode large JPEGs at reduced size in the DCT domain (faster, not pixel-identical)" };
    public Option<string> Precision { get; } = PrecisionOption();

    /// <summary>
    /// --model, as every command takes it (one declaration): a path, an hf: id or a known name. Optional commands
    /// (fine-tuning, timing a checkpoint instead of a preset, an index's own model) say what omitting it means.
    /// </summary>
    public static Option<string?> ModelOption(bool required, string? whenOmitted = null) => new("--model")
    {
        Description = "Checkpoint file or directory, hf:org/name[@revision], or a name from `clipsharp models` (downloaded into the Hugging Face cache)"
            + (whenOmitted is null ? "" : $"; {whenOmitted}"),
        Required = required,
    };

    /// <summary>--threads: worker threads, all cores by default.</summary>
    public static Option<int> ThreadsOption() => new("--threads") { Description = "Worker threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };

    /// <summary>--batch with what one batch is for this command.</summary>
    public static Option<int> BatchOption(string description, int defaultValue) => new("--batch") { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>--precision fp32|int8, shared by every command that encodes.</summary>
    public static Option<string> PrecisionOption() => new("--precision")
    {
        Description = "Linear layers in fp32 (exact) or int8 (dynamic quantisation: faster, embeddings within ~1% cosine)",
        DefaultValueFactory = _ => "fp32",
    };

    public static Models.Precision ParsePrecision(string value) => value.ToLowerInvariant() switch
    {
        "fp32" or "float32" => Models.Precision.Float32,
        "int8" => Models.Precision.Int8,
        _ => throw new ArgumentException($"--precision: expected fp32 or int8, got '{value}'"),
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Threads);
        command.Options.Add(Batch);
        command.Options.Add(FastDecode);
        command.Options.Add(Precision);
    }

    public ClipPipeline Load(ParseResult parse) => Load(parse, HubModelArgument.Resolve(parse.GetValue(Model)!));

    /// <summary>The pipeline for an already resolved model path (see <see cref="HubModelArgument.Resolve"/>).</summary>
    public ClipPipeline Load(ParseResult parse, string modelPath)
    {
        var pipeline = ClipPipeline.Load(modelPath, new ComputeContext(parse.GetValue(Threads)), ParsePrecision(parse.GetValue(Precision)!));
        if (pipeline.Encoder is Models.ClipModel loaded) ReportWarnings(loaded.LoadWarnings);
        return parse.GetValue(FastDecode) ? pipeline.WithDraftDecoding() : pipeline;
    }

    /// <summary>The loader's warnings (e.g. NaN/Inf weights), once each, on stderr.</summary>
    public static void ReportWarnings(IReadOnlyList<string> warnings)
    {
        foreach (var w in warnings) Console.Error.WriteLine($"clipsharp: warning: {w}");
    }

    /// <summary>Refuses a model whose weights hold NaN or Inf: its vectors would poison a search index.</summary>
    public static void RefuseNonFinite(Models.IImageTextEncoder model, string modelPath)
    {
        IReadOnlyList<string> bad = model switch
        {
            Models.ClipModel clip => clip.NonFiniteWeights,
            Models.Siglip.SiglipModel siglip => siglip.Parameters.Where(kv => !AllFinite(kv.Value.Span)).Select(kv => kv.Key).ToList(),
            _ => [],
        };
        if (bad.Count > 0)
            throw new IO.CheckpointException(modelPath,
                $"weights hold NaN or Inf ({string.Join(", ", bad.Take(5).Select(n => $"'{n}'"))}{(bad.Count > 5 ? $" and {bad.Count - 5} more" : "")}); refusing to index with them (NaN vectors would poison search)");
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (!float.IsFinite(v)) return false;
        return true;
    }

    /// <summary>The on-disk cache for zero-shot classifiers ($XDG_CACHE_HOME/clipsharp or ~/.cache/clipsharp).</summary>
    public static string CacheDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Combine(root, "clipsharp", "zeroshot");
    }

    /// <summary>Prints skipped images to stderr, one line each.</summary>
    public static void ReportFailures(IReadOnlyList<ImageFailure> failures)
    {
        foreach (var f in failures) Console.Error.WriteLine($"clipsharp: skipped {Describe(f)}");
    }

    /// <summary>
    /// Prints skipped images, and refuses when none could be read: a single image given is refused with its
    /// own reason as the one error line (exit 2); several are each listed, then refused together.
    /// </summary>
    public static void ReportFailuresRequiringSome(ImageBatchResult result)
    {
        if (result.Features is not null)
        {
            ReportFailures(result.Failures);
            return;
        }
        if (result.Failures.Count == 1) throw new InvalidDataException(Describe(result.Failures[0]));
        ReportFailures(result.Failures);
        throw new InvalidDataException(result.Failures.Count == 0 ? "no image files to read" : $"none of the {result.Failures.Count} images could be read");
    }

    private static string Describe(ImageFailure f) => f.Reason.StartsWith(f.Path, StringComparison.Ordinal) ? f.Reason : $"{f.Path}: {f.Reason}";
}
