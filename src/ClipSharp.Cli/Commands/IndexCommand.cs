using System.CommandLine;
using System.Globalization;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp index DIR --model M [--db PATH] [--exclude GLOB]…`: embeds new and changed images,
/// drops deleted ones, resumes an interrupted run, and lists unreadable files at the end.
/// </summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "Folder of images (walked recursively)" };
        var db = new Option<string?>("--db") { Description = "SQLite database (default DIR/.clipsharp/index.db)" };
        var exclude = new Option<string[]>("--exclude") { Description = "Glob of files or folders to skip (repeatable)" };
        var model = new ModelOptions();
        var cmd = new Command("index", "Index a folder of images for search.") { dir, db, exclude };
        model.AddTo(cmd);
        cmd.SetAction(async (parse, ct) =>
        {
            var root = parse.GetValue(dir)!;
            var modelPath = Path.GetFullPath(HubModelArgument.Resolve(parse.GetValue(model.Model)!));
            var pipeline = model.Load(parse);
            using var index = ImageIndex.Open(root, new ImageIndexOptions { DatabasePath = parse.GetValue(db), Exclude = parse.GetValue(exclude) ?? [] });
            var embedder = new ClipImageEmbedder(pipeline, modelPath);
            var progress = new ProgressLine();
            var report = await index.SyncAsync(embedder, new SyncOptions { BatchSize = parse.GetValue(model.Batch) }, progress, ct);
            progress.Finish();
            Console.WriteLine($"{index.Root}: {report}");
            Console.WriteLine($"{index.Count} images in {index.DatabasePath}");
            foreach (var f in report.Failures) Console.Error.WriteLine($"clipsharp: skipped {f.Path}: {f.Reason}");
            foreach (var f in report.Skipped) Console.Error.WriteLine($"clipsharp: not indexed {f.Path}: {f.Reason}");
            return 0;
        });
        return cmd;
    }

    /// <summary>One progress line on stderr: rewritten in place on a terminal, every 5 s otherwise.</summary>
    private sealed class ProgressLine : IProgress<IndexProgress>
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private DateTime _last = DateTime.MinValue;
        private string _line = "";

        public void Report(IndexProgress p)
        {
            string eta = p.Eta is { } e ? e.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "--:--:--";
            _line = string.Create(CultureInfo.InvariantCulture,
                $"{p.Phase}: {p.Done}/{p.Total} images, {p.Failed} failed, {p.FilesPerSecond:F1} files/s, ETA {eta}");
            var now = DateTime.UtcNow;
            if (_terminal) Console.Error.Write("\r" + _line.PadRight(79));
            else if ((now - _last).TotalSeconds >= 5) { Console.Error.WriteLine(_line); _last = now; }
        }

        public void Finish()
        {
            if (_terminal) Console.Error.WriteLine();
            else if (_line.Length > 0) Console.Error.WriteLine(_line);
        }
    }
}
