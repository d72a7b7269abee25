using System.Text.Json;
using System.Text.Json.Serialization;

namespace ClipSharp.Hub;

/// <summary>One well-known CLIP checkpoint (an entry of the embedded known_models.json).</summary>
/// <param name="Architecture">OpenCLIP architecture name: ViT-B-32, RN50, ViT-L-14-336, ...</param>
/// <param name="Pretrained">OpenCLIP pretrained tag: openai, laion2b_s34b_b79k, ...</param>
/// <param name="IsDefault">True for the checkpoint a bare architecture name resolves to.</param>
/// <param name="HubId">Hugging Face repository ("org/name").</param>
/// <param name="Url">OpenAI's original download URL (its path holds the sha256), when there is one.</param>
/// <param name="Sha256">sha256 of the file at <paramref name="Url"/>.</param>
/// <param name="ParamsMillions">Parameter count in millions (OpenCLIP's model profile).</param>
/// <param name="ApproxDownloadMB">Approximate size of the float32 weights in MB (parameters × 4 bytes).</param>
/// <param name="ImageNetZeroShotTop1">Published ImageNet-1k zero-shot top-1 in percent (OpenCLIP's results table), null when unknown.</param>
/// <param name="Aliases">Other names that resolve to this entry (OpenAI's "ViT-B/32" spellings).</param>
/// <param name="Notes">Anything a loader should know (activation, normalisation).</param>
public sealed record KnownModel(
    [property: JsonPropertyName("architecture")] string Architecture,
    [property: JsonPropertyName("pretrained")] string Pretrained,
    [property: JsonPropertyName("default")] bool IsDefault,
    [property: JsonPropertyName("hub_id")] string HubId,
    [property: JsonPropertyName("url")] string? Url,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("params_millions")] double ParamsMillions,
    [property: JsonPropertyName("approx_download_mb")] double ApproxDownloadMB,
    [property: JsonPropertyName("imagenet_zeroshot_top1")] double? ImageNetZeroShotTop1,
    [property: JsonPropertyName("aliases")] IReadOnlyList<string>? Aliases,
    [property: JsonPropertyName("notes")] string? Notes)
{
    /// <summary>"Architecture/pretrained", e.g. "ViT-B-32/laion2b_s34b_b79k".</summary>
    public string Name => $"{Architecture}/{Pretrained}";
}

/// <summary>
/// The registry of well-known checkpoints, kept as data (Resources/known_models.json, embedded) rather than code.
/// </summary>
public static class KnownModels
{
    private const string ResourceName = "ClipSharp.Hub.known_models.json";
    private static readonly Lazy<IReadOnlyList<KnownModel>> Entries = new(Load);

    /// <summary>Every entry, in file order.</summary>
    public static IReadOnlyList<KnownModel> All => Entries.Value;

    /// <summary>
    /// The Hugging Face repository for a name: an architecture ("ViT-B-32": its default checkpoint), an
    /// "architecture/pretrained" pair ("ViT-B-32/laion2b_s34b_b79k"), an OpenAI name ("ViT-L/14@336px") or a
    /// known repository id. Case-insensitive; throws ArgumentException listing the known names otherwise.
    /// </summary>
    public static string Resolve(string name) => Find(name).HubId;

    /// <summary>The entry <see cref="Resolve"/> would pick.</summary>
    public static KnownModel Find(string name) => TryFind(name, out var model) ? model
        : throw new ArgumentException($"unknown model '{name}'; known: " +
            string.Join(", ", All.Where(m => m.IsDefault).Select(m => m.Architecture)) +
            " (or architecture/pretrained, e.g. ViT-B-32/laion2b_s34b_b79k; `clipsharp models` lists them)");

    public static bool TryFind(string name, out KnownModel model)
    {
        ArgumentNullException.ThrowIfNull(name);
        static bool Eq(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
        var slash = name.IndexOf('/');
        var match =
            All.FirstOrDefault(m => Eq(m.Architecture, name) && m.IsDefault)
            ?? All.FirstOrDefault(m => m.Aliases?.Any(a => Eq(a, name)) == true)
            ?? All.FirstOrDefault(m => Eq(m.HubId, name))
            ?? (slash > 0 ? All.FirstOrDefault(m => Eq(m.Architecture, name[..slash]) && Eq(m.Pretrained, name[(slash + 1)..])) : null);
        model = match!;
        return match != null;
    }

    private static IReadOnlyList<KnownModel> Load()
    {
        using var stream = typeof(KnownModels).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the ClipSharp assembly");
        using var doc = JsonDocument.Parse(stream);
        var models = doc.RootElement.GetProperty("models").Deserialize<List<KnownModel>>()
            ?? throw new InvalidDataException($"{ResourceName}: no 'models' array");
        foreach (var m in models)
        {
            HubModelRef.ValidateRepoId(m.HubId, $"{ResourceName}: {m.Name}");
            if (m.Sha256 != null && (m.Url == null || !m.Url.Contains($"/{m.Sha256}/", StringComparison.Ordinal)))
                throw new InvalidDataException($"{ResourceName}: {m.Name}: sha256 {m.Sha256} does not appear in its URL {m.Url}");
        }
        foreach (var group in models.GroupBy(m => m.Architecture, StringComparer.OrdinalIgnoreCase))
            if (group.Count(m => m.IsDefault) != 1)
                throw new InvalidDataException($"{ResourceName}: architecture {group.Key} needs exactly one default entry, found {group.Count(m => m.IsDefault)}");
        return models;
    }
}
