using System.Text.Json;

namespace ClipSharp.ZeroShot;

/// <summary>
/// Prompt templates ("a photo of a {}.") and class-name lists. Built in: the 80 OpenAI ImageNet
/// templates ("openai"), the 7 simple ones ("simple"), the single "a photo of a {}." ("single"),
/// and the 1,000 ImageNet class names ("imagenet"), shipped from imagenet_zeroshot.json.
/// </summary>
public static class PromptSets
{
    private static readonly Lazy<JsonDocument> ImageNet = new(() =>
    {
        using var stream = typeof(PromptSets).Assembly.GetManifestResourceStream("ClipSharp.ZeroShot.imagenet_zeroshot.json")
            ?? throw new InvalidOperationException("imagenet_zeroshot.json resource missing from the ClipSharp assembly");
        return JsonDocument.Parse(stream);
    });

    /// <summary>The single template "a photo of a {}.".</summary>
    public static IReadOnlyList<string> Single { get; } = ["a photo of a {}."];

    /// <summary>The 80 templates OpenAI used for zero-shot ImageNet.</summary>
    public static IReadOnlyList<string> OpenAi => Strings("openai_imagenet_templates");

    /// <summary>The 7-template subset OpenAI found works nearly as well.</summary>
    public static IReadOnlyList<string> Simple => Strings("simple_imagenet_templates");

    /// <summary>The 1,000 ImageNet class names used for zero-shot ImageNet.</summary>
    public static IReadOnlyList<string> ImageNetClasses => Strings("imagenet_classnames");

    /// <summary>
    /// "openai", "simple", "single", or a file: a JSON array of strings or one template per line.
    /// Every template must contain "{}".
    /// </summary>
    public static IReadOnlyList<string> Templates(string nameOrFile)
    {
        var templates = nameOrFile.ToLowerInvariant() switch
        {
            "openai" => OpenAi,
            "simple" => Simple,
            "single" => Single,
            _ => ReadList(nameOrFile, "templates"),
        };
        foreach (var t in templates)
            if (!t.Contains("{}", StringComparison.Ordinal))
                throw new InvalidDataException($"{nameOrFile}: template '{t}' has no '{{}}' placeholder for the class name");
        return templates;
    }

    /// <summary>"imagenet", a comma-separated list, or a file (JSON array or one label per line).</summary>
    public static IReadOnlyList<string> Labels(string spec)
    {
        if (spec.Equals("imagenet", StringComparison.OrdinalIgnoreCase)) return ImageNetClasses;
        if (File.Exists(spec)) return ReadList(spec, "labels");
        var labels = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (labels.Length == 0) throw new ArgumentException("no labels given");
        return labels;
    }

    /// <summary>Fills a template: Python's str.format with one positional argument.</summary>
    public static string Fill(string template, string label) => template.Replace("{}", label, StringComparison.Ordinal);

    /// <summary>Reads a JSON array of strings, or non-empty lines (lines starting with # are comments).</summary>
    public static IReadOnlyList<string> ReadList(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{what} file not found: {path}", path);
        var text = File.ReadAllText(path);
        if (text.TrimStart().StartsWith('['))
        {
            try
            {
                return JsonSerializer.Deserialize<string[]>(text) ?? throw new InvalidDataException($"{path}: empty {what} list");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: not a JSON array of strings ({e.Message})", e);
            }
        }
        var lines = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        if (lines.Length == 0) throw new InvalidDataException($"{path}: no {what} found");
        return lines;
    }

    private static string[] Strings(string key) =>
        ImageNet.Value.RootElement.GetProperty(key).EnumerateArray().Select(e => e.GetString()!).ToArray();
}
