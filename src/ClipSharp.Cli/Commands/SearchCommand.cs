using System.CommandLine;
using System.Text.Json;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Query;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp search "query" [--dir DIR | --db PATH] [--model M] [--top 20] [--min-score S] [--json]`:
/// text-to-image search, `--image PATH` for image-to-image, and query arithmetic
/// (`"2:golden retriever" + ./pool.jpg - "fruit"`).
/// </summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string?>("query") { Description = "Text, or an expression of weighted text and image terms", Arity = ArgumentArity.ZeroOrOne };
        var location = new IndexLocation();
        var image = new Option<string?>("--image") { Description = "Search by this image instead of text" };
        var top = new Option<int>("--top") { Description = "Results", DefaultValueFactory = _ => 20 };
        var minScore = new Option<float?>("--min-score") { Description = "Only results with cosine ≥ this" };
        var json = new Option<bool>("--json") { Description = "One JSON object per result" };
        var cmd = new Command("search", "Search an indexed folder by text, by image, or both.") { query, image, top, minScore, json };
        location.AddTo(cmd, withModel: true);
        cmd.SetAction(parse =>
        {
            if (parse.GetValue(top) < 1) throw new ArgumentException("--top must be at least 1");
            string? text = parse.GetValue(query), imagePath = parse.GetValue(image);
            if (string.IsNullOrWhiteSpace(text) == (imagePath == null)) throw new ArgumentException("give a query or --image PATH (one of them)");
            using var index = location.OpenSearchable(parse);
            var embedder = location.LoadEmbedder(parse, index);
            var q = imagePath != null
                ? embedder.EmbedImageFile(CommandHelpers.RequireFile(imagePath, "--image"))
                : QueryCombiner.Combine(QueryParser.Parse(text!), embedder.EmbedText, p => embedder.EmbedImageFile(CommandHelpers.RequireFile(p, "query image")));
            foreach (var h in index.Search(q, parse.GetValue(top), parse.GetValue(minScore)))
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { id = h.Id, path = h.RelativePath, score = h.Score })
                    : $"{h.Score,7:F4}  {h.RelativePath}");
            return 0;
        });
        return cmd;
    }
}
