using System.CommandLine;
using System.Text.Json;
using ClipSharp.Hub;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// `clipsharp models`: the well-known checkpoints (name, hub repository, size, ImageNet zero-shot top-1, whether
/// the local Hugging Face cache has it); `clipsharp models download NAME`: fetch one and print its snapshot folder.
/// </summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var cmd = new Command("models", "List well-known CLIP checkpoints and where they come from.") { json };
        cmd.SetAction(parse =>
        {
            var cache = new HubCache(HubOptions.FromEnvironment(Environment.GetEnvironmentVariables()).CacheDir);
            var rows = KnownModels.All.Select(m => (Model: m, Cached: cache.ResolveCommit(m.HubId, HubModelRef.DefaultRevision) != null)).ToList();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new
                {
                    name = r.Model.Name,
                    architecture = r.Model.Architecture,
                    pretrained = r.Model.Pretrained,
                    is_default = r.Model.IsDefault,
                    hub_id = r.Model.HubId,
                    url = r.Model.Url,
                    sha256 = r.Model.Sha256,
                    params_millions = r.Model.ParamsMillions,
                    approx_download_mb = r.Model.ApproxDownloadMB,
                    imagenet_zeroshot_top1 = r.Model.ImageNetZeroShotTop1,
                    notes = r.Model.Notes,
                    cached = r.Cached,
                }), CommandHelpers.Json));
                return 0;
            }
            Console.Write(Table(rows));
            Console.WriteLine($"cache: {cache.Root}   (* = default for its architecture; use e.g. `clipsharp models download ViT-B-32`)");
            return 0;
        });
        cmd.Subcommands.Add(CreateDownload());
        return cmd;
    }

    private static Command CreateDownload()
    {
        var name = new Argument<string>("model") { Description = "A name from `clipsharp models` (ViT-B-32, ViT-B-32/laion2b_s34b_b79k) or hf:org/name[@revision]" };
        var revision = new Option<string?>("--revision") { Description = "Branch, tag or commit (overrides @revision)" };
        var offline = new Option<bool>("--offline") { Description = "Use only the local cache (as HF_HUB_OFFLINE=1)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("download", "Fetch a CLIP checkpoint into the Hugging Face cache and print its folder.") { name, revision, offline, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var arg = parse.GetValue(name)!;
            var model = HubModelArgument.ToHubRef(arg)
                ?? (arg.Contains('/') ? HubModelRef.Parse(arg) : throw new ArgumentException(
                    $"'{arg}' is not a known model name (see `clipsharp models`) nor a hub repository (hf:org/name)"));
            if (parse.GetValue(revision) is { } rev) model = model with { Revision = rev };
            var options = HubOptions.FromEnvironment(Environment.GetEnvironmentVariables());
            if (parse.GetValue(offline)) options = options with { Offline = true };
            using var client = new HubClient(options, ConsoleDownloadProgress.ForStandardError());
            var dir = await client.ResolveClipRepoAsync(model.RepoId, model.Revision, ct);
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new { repo = model.RepoId, revision = model.Revision, path = dir }, CommandHelpers.Json)
                : dir);
            return 0;
        });
        return cmd;
    }

    /// <summary>The text table: one row per checkpoint, columns padded to their widest cell.</summary>
    internal static string Table(IReadOnlyList<(KnownModel Model, bool Cached)> rows)
    {
        string[] header = ["name", "hub repository", "params", "download", "ImageNet 0-shot", "cached"];
        var cells = rows.Select(r => new[]
        {
            r.Model.Name + (r.Model.IsDefault ? " *" : ""),
            r.Model.HubId,
            $"{r.Model.ParamsMillions:F0}M",
            r.Model.ApproxDownloadMB >= 1000 ? $"~{r.Model.ApproxDownloadMB / 1000:F1} GB" : $"~{r.Model.ApproxDownloadMB:F0} MB",
            r.Model.ImageNetZeroShotTop1 is { } t ? $"{t:F1}%" : "unknown",
            r.Cached ? "yes" : "",
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(c => cells.Max(row => row[c].Length)).ToArray();
        var sb = new System.Text.StringBuilder();
        foreach (var row in cells)
            sb.AppendLine(string.Join("  ", row.Select((cell, c) => c is 2 or 3 or 4 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd());
        return sb.ToString();
    }
}
