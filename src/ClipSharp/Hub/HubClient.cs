namespace ClipSharp.Hub;

/// <summary>
/// Downloads files of a Hugging Face model repository into the huggingface_hub cache (see <see cref="HubCache"/>)
/// and returns the snapshot folder <c>{cache}/models--{org}--{name}/snapshots/{commit}</c>. Online, each file is
/// looked up with a HEAD (the first answer pins the commit, so every file comes from the same one) and only blobs
/// the cache lacks are fetched. Offline, or when the hub cannot be reached, the revision is resolved from refs/
/// and the snapshot is used as it is, or a <see cref="HubCacheMissException"/> lists what is missing.
/// </summary>
public sealed class HubClient : IDisposable
{
    private readonly HubHttp _http;
    private readonly BlobDownloader _downloader;
    private readonly IProgress<DownloadProgress>? _progress;

    /// <param name="options">Endpoint, cache, token and offline switch.</param>
    /// <param name="progress">Receives per-file progress (about ten reports a second and one at the end).</param>
    /// <param name="handler">HTTP handler to use instead of the default one (which must not follow redirects).</param>
    public HubClient(HubOptions options, IProgress<DownloadProgress>? progress = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new ArgumentException($"hub endpoint '{options.Endpoint}' is not an http(s) URL (check HF_ENDPOINT)");
        Options = options;
        Cache = new HubCache(options.CacheDir);
        _progress = progress;
        _http = new HubHttp(options, handler);
        _downloader = new BlobDownloader(_http, options);
    }

    public HubOptions Options { get; }

    public HubCache Cache { get; }

    /// <summary>Files of a Hugging Face CLIPModel repository: config, weights (safetensors preferred), tokenizer, preprocessor.</summary>
    public static IReadOnlyList<HubFileSpec> HuggingFaceClipFiles { get; } =
    [
        "config.json", "vocab.json", "merges.txt", "preprocessor_config.json",
        HubFileSpec.OneOf("model.safetensors", "pytorch_model.bin"),
        HubFileSpec.Optional("tokenizer.json"), HubFileSpec.Optional("tokenizer_config.json"),
        HubFileSpec.Optional("special_tokens_map.json"),
    ];

    /// <summary>
    /// Files of a Hugging Face SigLIP / SigLIP 2 repository: config, weights, the SentencePiece model (SigLIP's
    /// spiece.model or SigLIP 2's tokenizer.model), preprocessor and tokenizer configs. tokenizer.json (34 MB for
    /// SigLIP 2's Gemma vocabulary) is not fetched: the SentencePiece model is what the tokenizer reads.
    /// </summary>
    public static IReadOnlyList<HubFileSpec> HuggingFaceSiglipFiles { get; } =
    [
        "config.json", "preprocessor_config.json", "model.safetensors",
        HubFileSpec.OneOf("spiece.model", "tokenizer.model"),
        HubFileSpec.Optional("tokenizer_config.json"), HubFileSpec.Optional("special_tokens_map.json"),
    ];

    /// <summary>Files of an OpenCLIP repository: open_clip_config.json and the weights (safetensors preferred).</summary>
    public static IReadOnlyList<HubFileSpec> OpenClipFiles { get; } =
    [
        "open_clip_config.json",
        HubFileSpec.OneOf("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),
    ];

    /// <summary>Downloads <paramref name="files"/> (all required) and returns the snapshot folder.</summary>
    public Task<string> SnapshotDownloadAsync(string repoId, string? revision, IReadOnlyList<string> files, CancellationToken ct = default) =>
        SnapshotDownloadAsync(repoId, revision, files.Select(HubFileSpec.Required).ToArray(), ct);

    /// <summary>
    /// Downloads the files <paramref name="files"/> describes (alternatives and optional ones may be missing from
    /// the repository) and returns <c>{cache}/models--{org}--{name}/snapshots/{commit}</c>.
    /// </summary>
    /// <param name="repoId">"org/name".</param>
    /// <param name="revision">Branch, tag or 40-hex commit; null means "main".</param>
    /// <param name="files">What to fetch; a plain string converts to a required file.</param>
    /// <param name="ct">Cancels the lookups and the download (a partial file stays, to be resumed).</param>
    public async Task<string> SnapshotDownloadAsync(string repoId, string? revision, IReadOnlyList<HubFileSpec> files, CancellationToken ct = default)
    {
        var model = MakeRef(repoId, revision);
        if (Options.Offline) return FromCache(model, files, null);
        SnapshotPlan plan;
        try
        {
            plan = await PlanAsync(model, files, null, ct).ConfigureAwait(false);
        }
        catch (HubUnreachableException e)
        {
            return FromCache(model, files, e);
        }
        if (plan.Missing.Count > 0)
            throw new HubNotFoundException(model, $"{string.Join(", ", plan.Missing)} not found in the repository (commit {plan.Commit})");
        return await ExecuteAsync(plan, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Downloads a CLIP-family checkpoint: the Hugging Face CLIP layout (<see cref="HuggingFaceClipFiles"/>) when the
    /// repository has it, else the OpenCLIP layout (<see cref="OpenClipFiles"/>), else the Hugging Face SigLIP layout
    /// (<see cref="HuggingFaceSiglipFiles"/>). All lookups happen before any download, so a repository with only
    /// OpenCLIP or SigLIP files does not fetch a partial Hugging Face CLIP set. Returns the snapshot folder.
    /// </summary>
    public async Task<string> ResolveClipRepoAsync(string repoId, string? revision = null, CancellationToken ct = default)
    {
        var model = MakeRef(repoId, revision);
        if (Options.Offline) return ClipFromCache(model, null);
        SnapshotPlan hf, openClip, siglip;
        try
        {
            hf = await PlanAsync(model, HuggingFaceClipFiles, null, ct).ConfigureAwait(false);
            openClip = hf.Missing.Count == 0 ? hf : await PlanAsync(model, OpenClipFiles, hf.Commit, ct).ConfigureAwait(false);
            siglip = hf.Missing.Count == 0 || openClip.Missing.Count == 0 ? hf
                : await PlanAsync(model, HuggingFaceSiglipFiles, hf.Commit, ct).ConfigureAwait(false);
        }
        catch (HubUnreachableException e)
        {
            return ClipFromCache(model, e);
        }
        if (hf.Missing.Count == 0) return await ExecuteAsync(hf, ct).ConfigureAwait(false);
        if (openClip.Missing.Count == 0) return await ExecuteAsync(openClip, ct).ConfigureAwait(false);
        if (siglip.Missing.Count == 0) return await ExecuteAsync(siglip, ct).ConfigureAwait(false);
        throw new HubNotFoundException(model, $"not a CLIP or SigLIP checkpoint repository (commit {hf.Commit}): " +
            $"the Hugging Face layout lacks {string.Join(", ", hf.Missing)}; the OpenCLIP layout lacks {string.Join(", ", openClip.Missing)}; " +
            $"the Hugging Face SigLIP layout lacks {string.Join(", ", siglip.Missing)}");
    }

    /// <summary>
    /// The snapshot folder from the cache alone (what offline mode does): the revision through refs/, each
    /// required file present (a link whose blob is gone counts as missing). Throws <see cref="HubCacheMissException"/>.
    /// </summary>
    public string SnapshotFromCache(string repoId, string? revision, IReadOnlyList<HubFileSpec> files) =>
        FromCache(MakeRef(repoId, revision), files, null);

    private static HubModelRef MakeRef(string repoId, string? revision)
    {
        var rev = revision ?? HubModelRef.DefaultRevision;
        HubModelRef.ValidateRepoId(repoId);
        HubModelRef.ValidateRevision(rev, $"hf:{repoId}@{rev}");
        return new HubModelRef(repoId, rev);
    }

    private sealed record PlannedFile(string Path, HubFileMetadata? Metadata);

    private sealed record SnapshotPlan(HubModelRef Model, string Commit, IReadOnlyList<PlannedFile> Files, IReadOnlyList<HubFileSpec> Missing);

    /// <summary>HEADs every candidate in order until each spec has a file; the first answer pins the commit.</summary>
    private async Task<SnapshotPlan> PlanAsync(HubModelRef model, IReadOnlyList<HubFileSpec> specs, string? commit, CancellationToken ct)
    {
        bool pinned = HubModelRef.IsCommitHash(model.Revision);
        commit ??= pinned ? model.Revision : null;
        var files = new List<PlannedFile>();
        var missing = new List<HubFileSpec>();
        foreach (var spec in specs)
        {
            bool found = false;
            foreach (var candidate in spec.Candidates)
            {
                // A commit never changes: what the cache knows about it (present, or known to be absent) is final.
                if (pinned && Cache.CachedFile(model.RepoId, commit!, candidate) != null)
                {
                    files.Add(new PlannedFile(candidate, null));
                    found = true;
                    break;
                }
                if (pinned && Cache.IsKnownMissing(model.RepoId, commit!, candidate)) continue;
                var result = await _http.HeadAsync(model, commit ?? model.Revision, candidate, ct).ConfigureAwait(false);
                commit ??= result.Metadata?.Commit ?? result.Commit;
                if (result.Exists)
                {
                    files.Add(new PlannedFile(candidate, result.Metadata));
                    found = true;
                    break;
                }
                if ((result.Commit ?? commit) is { } at && HubModelRef.IsCommitHash(at)) Cache.MarkMissing(model.RepoId, at, candidate);
            }
            if (!found && !spec.IsOptional) missing.Add(spec);
        }
        if (commit == null || !HubModelRef.IsCommitHash(commit))
            throw new HubNotFoundException(model, $"none of {string.Join(", ", specs)} exists and the hub named no commit for revision '{model.Revision}'");
        return new SnapshotPlan(model, commit, files, missing);
    }

    /// <summary>Fetches the blobs the cache lacks, links the snapshot and records refs/{revision}.</summary>
    private async Task<string> ExecuteAsync(SnapshotPlan plan, CancellationToken ct)
    {
        var (model, repo) = (plan.Model, plan.Model.RepoId);
        var toFetch = plan.Files.Where(f => f.Metadata != null && !BlobUsable(f.Metadata, Cache.BlobPath(repo, f.Metadata.Etag))).ToList();
        foreach (var file in plan.Files)
        {
            if (file.Metadata is not { } meta) continue;
            var blob = Cache.BlobPath(repo, meta.Etag);
            int index = toFetch.IndexOf(file);
            if (index >= 0)
            {
                using var held = await CacheLock.AcquireAsync(Cache.LockPath(repo, meta.Etag), ct).ConfigureAwait(false);
                if (!BlobUsable(meta, blob)) // another process may have finished it while we waited
                {
                    if (File.Exists(blob)) File.Delete(blob);
                    var incomplete = Cache.IncompletePath(repo, meta.Etag);
                    long have = File.Exists(incomplete) ? new FileInfo(incomplete).Length : 0;
                    var meter = new ProgressMeter(_progress, file.Path, meta.Size, index + 1, toFetch.Count, have);
                    await _downloader.DownloadAsync(model, file.Path, meta, incomplete, blob, meter, ct).ConfigureAwait(false);
                }
            }
            Cache.LinkSnapshotFile(repo, plan.Commit, file.Path, meta.Etag);
        }
        Cache.WriteRef(repo, model.Revision, plan.Commit);
        return Cache.SnapshotDir(repo, plan.Commit);
    }

    /// <summary>A cached blob is used when its size matches (and, with VerifyCachedBlobs, its sha256).</summary>
    private bool BlobUsable(HubFileMetadata meta, string blob)
    {
        var info = new FileInfo(blob);
        if (!info.Exists) return false;
        if (meta.Size is { } size && info.Length != size) return false;
        return !(Options.VerifyCachedBlobs && meta.EtagIsSha256) || BlobDownloader.HashFile(blob) == meta.Etag;
    }

    private string ClipFromCache(HubModelRef model, HubUnreachableException? cause)
    {
        try
        {
            return FromCache(model, HuggingFaceClipFiles, cause);
        }
        catch (HubCacheMissException first)
        {
            try { return FromCache(model, OpenClipFiles, cause); }
            catch (HubCacheMissException)
            {
                try { return FromCache(model, HuggingFaceSiglipFiles, cause); }
                catch (HubCacheMissException) { throw first; }
            }
        }
    }

    private string FromCache(HubModelRef model, IReadOnlyList<HubFileSpec> specs, HubUnreachableException? cause)
    {
        var repo = model.RepoId;
        var hint = cause == null
            ? "run once online or unset HF_HUB_OFFLINE"
            : $"the hub could not be reached ({cause.InnerException?.Message ?? cause.Message}); connect once to download it";
        var commit = Cache.ResolveCommit(repo, model.Revision);
        if (commit == null)
            throw new HubCacheMissException(model, $"revision '{model.Revision}' not in cache (no {Cache.RefPath(repo, model.Revision)}); {hint}",
                [$"refs/{model.Revision}"], cause);
        var missing = specs.Where(s => !s.IsOptional && s.Candidates.All(c => Cache.CachedFile(repo, commit, c) == null))
            .Select(s => string.Join(" or ", s.Candidates)).ToList();
        var snapshot = Cache.SnapshotDir(repo, commit);
        if (missing.Count > 0)
            throw new HubCacheMissException(model, $"{string.Join(", ", missing)} not in cache at {snapshot}; {hint}", missing, cause);
        return snapshot;
    }

    public void Dispose() => _http.Dispose();
}
