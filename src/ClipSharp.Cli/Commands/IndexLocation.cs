using System.CommandLine;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Store.Postgres;
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
    public Option<string?> Db { get; } = new("--db") { Description = "Index database (default DIR/.clipsharp/index.db; alone, it names its folder), or postgres://user:pass@host:port/db" };
    public Option<string?> Model { get; } = ModelOptions.ModelOption(required: false, whenOmitted: "default: the one the index was built with");
    public Option<int> Threads { get; } = ModelOptions.ThreadsOption();
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
        if (db != null && PgVectorStore.IsPostgres(db))
            throw new ArgumentException("this command reads SQLite indexes only; Postgres collections work with index and search");
        if (dir != null) return ImageIndex.Open(dir, new ImageIndexOptions { DatabasePath = db });
        if (db != null) return ImageIndex.OpenDatabase(db);
        throw new ArgumentException("give the indexed folder (--dir DIR) or its database (--db PATH)");
    }

    /// <summary>
    /// For search: a Postgres collection when --db is a postgres:// URL or a Host=... connection string
    /// (--dir, if given, only makes full paths), else the SQLite index as <see cref="Open"/>.
    /// </summary>
    public ISearchableIndex OpenSearchable(ParseResult parse)
    {
        if (parse.GetValue(Db) is { } db && PgVectorStore.IsPostgres(db)) return PgImageIndex.OpenExisting(db, parse.GetValue(Dir));
        return Open(parse);
    }

    /// <summary>
    /// The embedder for queries: --model, else the model recorded in the index (its name, hf: id or path). Either way
    /// the loaded weights must be the ones the index was built with (same <see cref="ClipPipeline.ModelId"/>).
    /// </summary>
    public ClipImageEmbedder LoadEmbedder(ParseResult parse, ISearchableIndex index)
    {
        var source = parse.GetValue(Model) ?? index.ModelSource ?? throw new ArgumentException($"{index.DatabasePath} is empty: run clipsharp index first");
        string modelPath;
        try { modelPath = Path.GetFullPath(HubModelArgument.Resolve(source)); }
        catch (FileNotFoundException) when (parse.GetValue(Model) is null)
        {
            throw new FileNotFoundException($"the index was built with {source}, which is gone: pass --model", source);
        }
        var pipeline = ClipPipeline.Load(modelPath, new ComputeContext(parse.GetValue(Threads)), ModelOptions.ParsePrecision(parse.GetValue(Precision)!));
        if (pipeline.Encoder is ClipSharp.Models.ClipModel loaded) ModelOptions.ReportWarnings(loaded.LoadWarnings);
        if (index.Dimension is { } d && d != pipeline.Encoder.EmbedDim)
            throw new ArgumentException($"--model {source} gives {pipeline.Encoder.EmbedDim}-d embeddings, the index holds {d}-d ones of {index.ModelId}");
        var id = CompatibleModelId(index, pipeline);
        if (index.ModelId is { } built && built != id)
            throw new ArgumentException($"--model {source} has other weights ({pipeline.ModelId}) than the index was built with ({built}): pass the same model, or re-index");
        return new ClipImageEmbedder(pipeline, id);
    }

    /// <summary>
    /// The id to record embeddings under: the pipeline's <see cref="ClipPipeline.ModelId"/>, except for an index made
    /// before ids were content hashes (its id is the checkpoint's path) when that path still holds these weights.
    /// </summary>
    public static string CompatibleModelId(ISearchableIndex index, ClipPipeline pipeline) =>
        index.ModelId is { } old && !old.StartsWith("sha256:", StringComparison.Ordinal)
            && (File.Exists(old) || Directory.Exists(old)) && Pretrained.ModelIdentity.For(old) == pipeline.ModelId
            ? old
            : pipeline.ModelId;
}
