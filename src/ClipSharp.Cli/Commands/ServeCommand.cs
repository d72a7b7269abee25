using System.CommandLine;
using ClipSharp.Search.Embedding;
using ClipSharp.Search.Sync;
using ClipSharp.Tensors;
using ClipSharp.Web;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp serve --dir DIR [--port 8080] [--host 127.0.0.1]`: the search page and its API.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "The indexed folder", Required = true };
        var db = new Option<string?>("--db") { Description = "SQLite database (default DIR/.clipsharp/index.db)" };
        var model = new Option<string?>("--model") { Description = "Model (default: the one the index was built with)" };
        var port = new Option<int>("--port") { Description = "TCP port", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to bind (loopback by default)", DefaultValueFactory = _ => "127.0.0.1" };
        var cmd = new Command("serve", "Serve a web page and HTTP API for searching an indexed folder.") { dir, db, model, port, host };
        cmd.SetAction(async (parse, ct) =>
        {
            using var index = ImageIndex.Open(parse.GetValue(dir)!, new ImageIndexOptions { DatabasePath = parse.GetValue(db) });
            var modelPath = parse.GetValue(model) is { } m ? Path.GetFullPath(HubModelArgument.Resolve(m))
                : index.ModelId ?? throw new InvalidOperationException($"{index.DatabasePath} is empty: run clipsharp index first");
            var embedder = new ClipImageEmbedder(ClipPipeline.Load(modelPath, ComputeContext.Default), modelPath);
            await using var server = new SearchServer(index, embedder, parse.GetValue(host)!, parse.GetValue(port));
            await server.StartAsync(ct);
            Console.WriteLine($"serving {index.Count} images from {index.Root} at {server.Url} (Ctrl+C to stop)");
            await server.WaitForShutdownAsync(ct);
            return 0;
        });
        return cmd;
    }
}
