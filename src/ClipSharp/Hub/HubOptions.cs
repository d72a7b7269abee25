using System.Collections;

namespace ClipSharp.Hub;

/// <summary>
/// Where and how <see cref="HubClient"/> talks to a Hugging Face Hub. A plain record: library code never reads
/// environment variables; the CLI builds one with <see cref="FromEnvironment"/>.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The default endpoint, https://huggingface.co.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Hub base URL without a trailing slash (HF_ENDPOINT).</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The hub cache folder holding models--org--name/ (HF_HUB_CACHE), shared with huggingface_hub.</summary>
    public string CacheDir { get; init; } = DefaultCacheDir(null);

    /// <summary>Access token sent as <c>Authorization: Bearer</c> (HF_TOKEN); null sends none.</summary>
    public string? Token { get; init; }

    /// <summary>Never touch the network; resolve everything from refs/ and snapshots/ (HF_HUB_OFFLINE=1).</summary>
    public bool Offline { get; init; }

    /// <summary>Re-hash cached LFS blobs against their sha256 ETag before using them (their size is always checked).</summary>
    public bool VerifyCachedBlobs { get; init; }

    /// <summary>How many times a body download that breaks off is resumed (with a Range request) before giving up.</summary>
    public int MaxResumeAttempts { get; init; } = 5;

    /// <summary>Pause before the first resume; doubled on each further one.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Limit on a metadata (HEAD) request; huggingface_hub uses 10 s.</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest a body download may stall without receiving a byte.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Options from environment variables as huggingface_hub reads them: HF_ENDPOINT, HF_HUB_CACHE (or the older
    /// HUGGINGFACE_HUB_CACHE), HF_HOME (cache = $HF_HOME/hub), XDG_CACHE_HOME, HF_TOKEN (or the token file
    /// $HF_TOKEN_PATH / $HF_HOME/token written by <c>huggingface-cli login</c>), HF_HUB_OFFLINE (1/true/yes/on).
    /// </summary>
    /// <param name="environment">Usually <c>Environment.GetEnvironmentVariables()</c>.</param>
    /// <param name="homeDirectory">The user's home folder; defaults to the profile folder.</param>
    public static HubOptions FromEnvironment(IDictionary environment, string? homeDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? Get(string name) => environment[name] is string s && s.Length > 0 ? s : null;

        var home = homeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var xdg = Get("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache");
        var hfHome = ExpandHome(Get("HF_HOME"), home) ?? Path.Combine(xdg, "huggingface");
        var cache = ExpandHome(Get("HF_HUB_CACHE") ?? Get("HUGGINGFACE_HUB_CACHE"), home) ?? Path.Combine(hfHome, "hub");

        var token = Get("HF_TOKEN") ?? Get("HUGGING_FACE_HUB_TOKEN");
        if (token == null)
        {
            var tokenPath = ExpandHome(Get("HF_TOKEN_PATH"), home) ?? Path.Combine(hfHome, "token");
            if (File.Exists(tokenPath)) token = File.ReadAllText(tokenPath).Trim() is { Length: > 0 } t ? t : null;
        }

        return new HubOptions
        {
            Endpoint = (Get("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            CacheDir = cache,
            Token = token?.Trim(),
            Offline = IsTrue(Get("HF_HUB_OFFLINE")),
        };
    }

    /// <summary>~/.cache/huggingface/hub under <paramref name="homeDirectory"/> (the profile folder when null).</summary>
    public static string DefaultCacheDir(string? homeDirectory) => Path.Combine(
        homeDirectory ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub");

    /// <summary>huggingface_hub's truthy spellings: 1, true, yes, on (any case).</summary>
    public static bool IsTrue(string? value) => value != null &&
        (value.Trim().ToUpperInvariant() is "1" or "TRUE" or "YES" or "ON");

    private static string? ExpandHome(string? path, string home) =>
        path == null ? null
        : path == "~" ? home
        : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..])
        : path;
}
