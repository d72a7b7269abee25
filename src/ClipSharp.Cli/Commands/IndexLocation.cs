using System.CommandLine;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using ClipSharp.Tensors;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// Options of the commands that read an existing index (search, dupes, serve): <c>--dir DIR</c> and/or
/// <c>--db PATH</c> (the database records its folder), <c>--model</c> defaulting to the model the index
/// was built with (its path is the index's model id), and <c>--threads</c>.
/// </summary>
internal sealed class IndexLocation
{
    public Option<string?> Dir { get; } = new("--dir") { Description = "The indexed folder" };
    public Option<string?> Db { get; } = new("--db") { Description = "Index database (default DIR/.clipsharp/index.db; alone, it names its folder)" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model (default: the one the index was built with)" };
    public Option<int> Threads { get; } = new("--threads") { Description = "Worker threads", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<string> Precision { get; } = ModelOptions.PrecisionOption();

    /// <summary>Adds --dir and --db, and with <paramref name="withModel"/> also --model and --threads.</summary>
    public void AddTo(Command command, bool withModel)
    {
        command.Options.Add(Dir);
        command.Options.Add(Db);
        if (!withModel) return;
        command.Options.Add(Model);
        command.Options.Add(Threads);
        command.Options.Add(Precision);
    }

    /// <summary>Opens the index named by --dir (with an optional --db) or by --db alone.</summary>
    public ImageIndex Open(ParseResult parse)
    {
        string? dir = parse.GetValue(Dir), db = parse.GetValue(Db);
        if (dir != null) return ImageIndex.Open(dir, new ImageIndexOptions { DatabasePath = db });
        if (db != null) return ImageIndex.OpenDatabase(db);
        throw new ArgumentException("give the indexed folder (--dir DIR) or its database (--db PATH)");
    }

    /// <summary>The embedder for queries: --model, else the model recorded in the index.</summary>
    public ClipImageEmbedder LoadEmbedder(ParseResult parse, ImageIndex index)
    {
        string modelPath;
        if (parse.GetValue(Model) is { } m) modelPath = Path.GetFullPath(HubModelArgument.Resolve(m));
        else
        {
            modelPath = index.ModelId ?? throw new ArgumentException($"{index.DatabasePath} is empty: run clipsharp index first");
            if (!File.Exists(modelPath) && !Directory.Exists(modelPath))
                throw new FileNotFoundException($"the index was built with {modelPath}, which is gone: pass --model", modelPath);
        }
        var pipeline = ClipPipeline.Load(modelPath, new ComputeContext(parse.GetValue(Threads)), ModelOptions.ParsePrecision(parse.GetValue(Precision)!));
        if (index.Dimension is { } d && d != pipeline.Encoder.EmbedDim)
            throw new ArgumentException($"--model {modelPath} gives {pipeline.Encoder.EmbedDim}-d embeddings, the index holds {d}-d ones of {index.ModelId}");
        return new ClipImageEmbedder(pipeline, modelPath);
    }
}
