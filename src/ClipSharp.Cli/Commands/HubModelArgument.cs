using ClipSharp.Hub;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// Turns a model argument into a local path: an existing file or folder is used as it is; <c>hf:org/name[@rev]</c>,
/// or a known name (ViT-B-32, ViT-B-32/laion2b_s34b_b79k, optionally with @rev) is fetched into the Hugging Face
/// cache (HF_HUB_CACHE, HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE honoured) with progress on stderr.
/// </summary>
internal static class HubModelArgument
{
    /// <summary>The local path for <paramref name="argument"/>; downloads when it names a hub model.</summary>
    public static async Task<string> ResolveAsync(string argument, CancellationToken ct)
    {
        if (File.Exists(argument) || Directory.Exists(argument)) return argument;
        var model = ToHubRef(argument)
            ?? throw new FileNotFoundException($"--model: no such file or directory, and not a hub model (hf:org/name[@rev] or a name from `clipsharp models`): {argument}", argument);
        using var client = new HubClient(HubOptions.FromEnvironment(Environment.GetEnvironmentVariables()), ConsoleDownloadProgress.ForStandardError());
        return LoadablePath(await client.ResolveClipRepoAsync(model.RepoId, model.Revision, ct).ConfigureAwait(false));
    }

    /// <summary>Synchronous <see cref="ResolveAsync"/> for commands whose action is synchronous.</summary>
    public static string Resolve(string argument) => ResolveAsync(argument, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// What the checkpoint loader takes for a snapshot: the folder for the Hugging Face layout (it has config.json),
    /// else the OpenCLIP weights file (the loader reads open_clip_config.json beside it).
    /// </summary>
    public static string LoadablePath(string snapshotDir)
    {
        if (File.Exists(Path.Combine(snapshotDir, "config.json"))) return snapshotDir;
        foreach (var name in new[] { "open_clip_model.safetensors", "open_clip_pytorch_model.bin" })
            if (File.Exists(Path.Combine(snapshotDir, name))) return Path.Combine(snapshotDir, name);
        return snapshotDir;
    }

    /// <summary>The hub reference an argument names, or null when it names none.</summary>
    public static HubModelRef? ToHubRef(string argument)
    {
        if (HubModelRef.LooksLikeHubRef(argument)) return HubModelRef.Parse(argument);
        var at = argument.IndexOf('@');
        var name = at < 0 ? argument : argument[..at];
        if (KnownModels.TryFind(name, out var known))
            return new HubModelRef(known.HubId, at < 0 ? HubModelRef.DefaultRevision : argument[(at + 1)..]);
        return null;
    }
}
