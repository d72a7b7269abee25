using System.CommandLine;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Store.Postgres;
using ClipSharp.Search.Sync;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp index DIR --model M [--db PATH] [--exclude GLOB]… [--batch 32] [--threads N]`: embeds new and
/// changed images, drops deleted ones, resumes an interrupted run, and lists the files it could not read.
/// Exit code 0 even when some files failed (they are listed); 130 when interrupted (finished batches are kept).
/// </summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of images (walked recursively)" };
        var db = new Option<string?>("--db") { Description = "SQLite database (default DIR/.clipsharp/index.db), or postgres://user:pass@host:port/db (or Host=...) for a shared pgvector collection" };
        var lease = new Option<int>("--lease") { Description = "Postgres only: seconds a claimed batch stays reserved for this worker", DefaultValueFactory = _ => 300 };
        var exclude = new Option<string[]>("--exclude") { Description = "Glob of files or folders to skip (repeatable)" };
        var model = new ModelOptions();
        var cmd = new Command("index", "Index a folder of images for search.") { dir, db, exclude, lease };
        model.AddTo(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            int batch = parse.GetValue(model.Batch), threads = parse.GetValue(model.Threads);
            if (batch < 1) throw new ArgumentException("--batch must be at least 1");
            if (threads < 1) throw new ArgumentException("--threads must be at least 1");
            var root = parse.GetValue(dir)!;
            if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"image folder not found: {root}");
            var argument = parse.GetValue(model.Model)!;
            var modelPath = Path.GetFullPath(await HubModelArgument.ResolveAsync(argument, ct));
            var pipeline = model.Load(parse, modelPath);
            ModelOptions.RefuseNonFinite(pipeline.Encoder, modelPath);
            if (parse.GetValue(db) is { } pg && PgVectorStore.IsPostgres(pg))
            {
                if (parse.GetValue(lease) < 1) throw new ArgumentException("--lease must be at least 1 second");
                var source = File.Exists(argument) || Directory.Exists(argument) ? Path.GetFullPath(argument) : argument;
                return await IndexPostgresAsync(pg, root, new ClipImageEmbedder(pipeline, pipeline.ModelId), new PgIndexOptions
                {
                    BatchSize = batch, DecodeThreads = Math.Max(1, threads - 1), Exclude = parse.GetValue(exclude) ?? [],
                    Lease = TimeSpan.FromSeconds(parse.GetValue(lease)), ModelSource = source,
                }, ct);
            }
            using var index = ImageIndex.Open(root, new ImageIndexOptions { DatabasePath = parse.GetValue(db), Exclude = parse.GetValue(exclude) ?? [] });
            var embedder = new ClipImageEmbedder(pipeline, IndexLocation.CompatibleModelId(index, pipeline));
            // A name or hf: id is kept as given (it resolves through the hub cache anywhere); a path, made absolute.
            index.ModelSource = File.Exists(argument) || Directory.Exists(argument) ? Path.GetFullPath(argument) : argument;
            var progress = new IndexProgressLine(Console.Error, terminal: !Console.IsErrorRedirected);
            var options = new SyncOptions { BatchSize = batch, DecodeThreads = Math.Max(1, threads - 1) };
            SyncReport report;
            try { report = await index.SyncAsync(embedder, options, progress, ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                progress.Finish();
                Console.Error.WriteLine($"clipsharp: interrupted; {index.Count} images are indexed in {index.DatabasePath}: run the same command to resume");
                return 130;
            }
            progress.Finish();
            Console.WriteLine($"{index.Root}: {report}");
            Console.WriteLine($"{index.Count} images in {index.DatabasePath}");
            PrintProblems(report.Failures, report.Skipped, index.Root);
            return 0;
        });
        return cmd;
    }

    /// <summary>One worker on a Postgres collection: registers the folder's files, then embeds claimed batches until none is left.</summary>
    private static async Task<int> IndexPostgresAsync(string db, string root, ClipImageEmbedder embedder, PgIndexOptions options, CancellationToken ct)
    {
        PgIndexReport report;
        var progress = new IndexProgressLine(Console.Error, terminal: !Console.IsErrorRedirected);
        try { report = await PgImageIndex.IndexFolderAsync(db, root, embedder, options with { Progress = progress }, ct); }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine($"clipsharp: interrupted; committed batches are kept in {PgImageIndex.Describe(db)}: run the same command to resume");
            return 130;
        }
        finally { progress.Finish(); }
        Console.WriteLine($"{Path.GetFullPath(root)}: {report}");
        PrintProblems(report.Failures, report.Skipped, Path.GetFullPath(root));
        return 0;
    }

    /// <summary>The end-of-run list: files that could not be indexed, then files the walk skipped (both stores).</summary>
    private static void PrintProblems(IReadOnlyList<SyncIssue> failures, IReadOnlyList<SyncIssue> skipped, string root)
    {
        if (failures.Count > 0)
        {
            Console.Error.WriteLine($"{failures.Count} files could not be indexed (corrupt or unsupported):");
            foreach (var f in failures) Console.Error.WriteLine($"  {f.Path}: {WithoutPath(f.Reason, Path.Combine(root, f.Path))}");
        }
        foreach (var f in skipped) Console.Error.WriteLine($"clipsharp: not indexed {f.Path}: {f.Reason}");
    }

    /// <summary>Decoder messages start with the file's full path; the list already names it.</summary>
    private static string WithoutPath(string reason, string fullPath) =>
        reason.StartsWith(fullPath + ": ", StringComparison.Ordinal) ? reason[(fullPath.Length + 2)..] : reason;
}
