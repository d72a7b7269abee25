using ClipSharp.Hub;

namespace ClipSharp.Pretrained;

/// <summary>
/// Turns what a user calls a model into a local path the checkpoint loader takes: an existing file or folder
/// as it is (an OpenCLIP snapshot folder becomes its weights file); <c>hf:org/name[@rev]</c> or a known name
/// (ViT-B-32, ViT-B-32/laion2b_s34b_b79k, optionally @rev) through the Hugging Face cache, downloading
/// what is missing (HF_HUB_CACHE, HF_TOKEN, HF_ENDPOINT, HF_HUB_OFFLINE honoured through <see cref="HubOptions"/>).
/// </summary>
public static class ModelResolver
{
    /// <summary>The local path for <paramref name="nameOrPath"/>; downloads when it names a hub model.</summary>
    public static async Task<string> ResolveAsync(string nameOrPath, HubOptions? hub = null, IProgress<DownloadProgress>? progress = null,
        CancellationToken ct = default)
    {
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath)) return LoadablePath(nameOrPath);
        var model = ToHubRef(nameOrPath)
            ?? throw new FileNotFoundException($"--model: no such file or directory, and not a hub model (hf:org/name[@rev] or a name from `clipsharp models`): {nameOrPath}", nameOrPath);
        using var client = new HubClient(hub ?? HubOptions.FromEnvironment(Environment.GetEnvironmentVariables()), progress);
        return LoadablePath(await client.ResolveClipRepoAsync(model.RepoId, model.Revision, ct).ConfigureAwait(false));
    }

    /// <summary>Synchronous <see cref="ResolveAsync"/>.</summary>
    public static string Resolve(string nameOrPath, HubOptions? hub = null, IProgress<DownloadProgress>? progress = null) =>
        ResolveAsync(nameOrPath, hub, progress).GetAwaiter().GetResult();

    /// <summary>
    /// What the checkpoint loader takes for a folder: the folder itself for the Hugging Face layout (it has
    /// config.json), else an OpenCLIP weights file inside it (the loader reads open_clip_config.json beside it).
    /// Files and other folders are returned unchanged.
    /// </summary>
    public static string LoadablePath(string path)
    {
        if (!Directory.Exists(path) || File.Exists(Path.Combine(path, "config.json"))) return path;
        foreach (var name in new[] { "open_clip_model.safetensors", "open_clip_pytorch_model.bin" })
            if (File.Exists(Path.Combine(path, name))) return Path.Combine(path, name);
        return path;
    }

    /// <summary>The hub reference a name or <c>hf:</c> id stands for, or null when it names none.</summary>
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
