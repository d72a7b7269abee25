using System.CommandLine;
using System.Text.Json;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Query;
using ClipSharp.Search.Sync;
using ClipSharp.Tensors;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp search "query" --dir DIR [--top 20]`: text-to-image search, `--image PATH` for
/// image-to-image, and query arithmetic (`"2:golden retriever" + ./pool.jpg - "fruit"`).
/// `clipsharp dupes --dir DIR [--threshold 0.95]`: near-duplicate groups.
/// </summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string?>("query") { Description = "Text, or an expression of weighted text and image terms", Arity = ArgumentArity.ZeroOrOne };
        var dir = new Option<string>("--dir") { Description = "The indexed folder", Required = true };
        var db = new Option<string?>("--db") { Description = "SQLite database (default DIR/.clipsharp/index.db)" };
        var model = new Option<string?>("--model") { Description = "Model (default: the one the index was built with)" };
        var image = new Option<string?>("--image") { Description = "Search by this image instead of text" };
        var top = new Option<int>("--top") { Description = "Results", DefaultValueFactory = _ => 20 };
        var minScore = new Option<float?>("--min-score") { Description = "Only results with cosine ≥ this" };
        var json = new Option<bool>("--json") { Description = "One JSON object per result" };
        var cmd = new Command("search", "Search an indexed folder by text, by image, or both.") { query, dir, db, model, image, top, minScore, json };
        cmd.SetAction(parse =>
        {
            using var index = ImageIndex.Open(parse.GetValue(dir)!, new ImageIndexOptions { DatabasePath = parse.GetValue(db) });
            var modelPath = parse.GetValue(model) is { } m ? Path.GetFullPath(HubModelArgument.Resolve(m))
                : index.ModelId ?? throw new InvalidOperationException($"{index.DatabasePath} is empty: run clipsharp index first");
            var embedder = new ClipImageEmbedder(ClipPipeline.Load(modelPath, ComputeContext.Default), modelPath);
            float[] q;
            if (parse.GetValue(image) is { } img) q = embedder.EmbedImageFile(CommandHelpers.RequireFile(img, "--image"));
            else if (parse.GetValue(query) is { Length: > 0 } text)
                q = QueryCombiner.Combine(QueryParser.Parse(text), embedder.EmbedText, p => embedder.EmbedImageFile(CommandHelpers.RequireFile(p, "query image")));
            else throw new ArgumentException("give a query or --image PATH");
            var hits = index.Search(q, parse.GetValue(top), parse.GetValue(minScore));
            foreach (var h in hits)
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { id = h.Id, path = h.RelativePath, score = h.Score })
                    : $"{h.Score,7:F4}  {h.RelativePath}");
            return 0;
        });
        return cmd;
    }

    public static Command CreateDupes()
    {
        var dir = new Option<string>("--dir") { Description = "The indexed folder", Required = true };
        var db = new Option<string?>("--db") { Description = "SQLite database (default DIR/.clipsharp/index.db)" };
        var threshold = new Option<float>("--threshold") { Description = "Cosine similarity that counts as a duplicate", DefaultValueFactory = _ => 0.95f };
        var json = new Option<bool>("--json") { Description = "One JSON object per group" };
        var cmd = new Command("dupes", "List groups of near-duplicate images in an index.") { dir, db, threshold, json };
        cmd.SetAction(parse =>
        {
            using var index = ImageIndex.Open(parse.GetValue(dir)!, new ImageIndexOptions { DatabasePath = parse.GetValue(db) });
            foreach (var g in index.Dupes(parse.GetValue(threshold)))
                Console.WriteLine(parse.GetValue(json)
                    ? JsonSerializer.Serialize(new { min_score = g.MinScore, images = g.Images.Select(i => i.RelativePath) })
                    : $"{g.MinScore:F4}  " + string.Join("  ", g.Images.Select(i => i.RelativePath)));
            return 0;
        });
        return cmd;
    }
}
