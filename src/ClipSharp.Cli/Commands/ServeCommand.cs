using System.CommandLine;
using ClipSharp.Web;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp serve [--dir DIR | --db PATH] [--model M] [--port 8080] [--host 127.0.0.1] [--query-cache 4096]
/// [--no-batching]`: the search page and its HTTP API (see <see cref="SearchServer"/>) until Ctrl+C.
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var location = new IndexLocation();
        var port = new Option<int>("--port") { Description = "TCP port (0: any free port)", DefaultValueFactory = _ => 8080 };
        var host = new Option<string>("--host") { Description = "Address to bind (loopback by default; 0.0.0.0 exposes the index to the network)", DefaultValueFactory = _ => "127.0.0.1" };
        var defaults = new SearchServerOptions();
        var queryCache = new Option<int>("--query-cache") { Description = "Text query embeddings kept in memory (0: no cache)", DefaultValueFactory = _ => defaults.QueryCacheEntries };
        var noBatching = new Option<bool>("--no-batching") { Description = $"Embed each text query in its own forward pass instead of batching concurrent ones (up to {defaults.TextBatchSize})" };
        var cmd = new Command("serve", "Serve a web page and HTTP API for searching an indexed folder.") { port, host, queryCache, noBatching };
        location.AddTo(cmd, withModel: true);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(port) is < 0 or > 65535) throw new ArgumentException($"--port must be in 0..65535, got {parse.GetValue(port)}");
            if (parse.GetValue(queryCache) < 0) throw new ArgumentException($"--query-cache must be 0 (off) or more entries, got {parse.GetValue(queryCache)}");
            using var index = location.OpenSearchable(parse);
            if (index.Root is null) throw new ArgumentException("serving a Postgres collection needs its folder: give --dir DIR (where the indexed files are)");
            var embedder = location.LoadEmbedder(parse, index);
            await using var server = new SearchServer(index, embedder, defaults with
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                QueryCacheEntries = parse.GetValue(queryCache),
                TextBatchSize = parse.GetValue(noBatching) ? 1 : defaults.TextBatchSize,
            });
            try { await server.StartAsync(ct); }
            catch (IOException e) { throw new IOException($"cannot listen on {parse.GetValue(host)}:{parse.GetValue(port)}: {e.Message}", e); }
            Console.WriteLine($"serving {index.Count} images from {index.Root} ({index.DatabasePath}) at {server.Url} (Ctrl+C to stop)");
            if (parse.GetValue(host) is not ("127.0.0.1" or "localhost" or "::1"))
                Console.Error.WriteLine($"clipsharp: warning: listening on {parse.GetValue(host)}: anyone who can reach this address can search the index and see its images");
            await server.WaitForShutdownAsync(ct);
            return 0;
        });
        return cmd;
    }
}
