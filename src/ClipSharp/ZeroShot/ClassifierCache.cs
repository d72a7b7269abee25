using System.Security.Cryptography;
using System.Text;
using ClipSharp.IO;

namespace ClipSharp.ZeroShot;

/// <summary>
/// Caches zero-shot classifier weights on disk, keyed by the model and the exact prompts, so that
/// 1,000 classes × 80 templates are embedded once. Files are safetensors ("weights" (K, E)) with the
/// labels and key in the metadata, written atomically.
/// </summary>
public sealed class ClassifierCache
{
    private readonly string _directory;

    public ClassifierCache(string directory) => _directory = directory;

    /// <summary>A key that changes whenever the model, the labels or the templates change.</summary>
    public static string Key(string modelId, IReadOnlyList<string> labels, IReadOnlyList<string> templates)
    {
        var sb = new StringBuilder();
        sb.Append("model\0").Append(modelId).Append('\0');
        foreach (var l in labels) sb.Append("label\0").Append(l).Append('\0');
        foreach (var t in templates) sb.Append("template\0").Append(t).Append('\0');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>
    /// An identifier for a checkpoint on disk: full path, size and modification time of the file (or
    /// of every file in a model directory), so a replaced checkpoint gets new cache entries.
    /// </summary>
    public static string ModelId(string checkpointPath)
    {
        var full = Path.GetFullPath(checkpointPath);
        var files = Directory.Exists(full) ? Directory.GetFiles(full).Order(StringComparer.Ordinal).ToArray() : [full];
        return string.Join("|", files.Select(f => $"{f}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}"));
    }

    /// <summary>Returns the cached classifier, or builds it with <paramref name="build"/> and stores it.</summary>
    public ZeroShotClassifier GetOrBuild(string modelId, IReadOnlyList<string> labels, IReadOnlyList<string> templates,
        Func<ZeroShotClassifier> build)
    {
        var key = Key(modelId, labels, templates);
        var path = Path.Combine(_directory, $"zeroshot-{key[..32]}.safetensors");
        if (File.Exists(path))
        {
            try
            {
                using var file = SafetensorsFile.Open(path);
                if (file.Metadata.TryGetValue("key", out var stored) && stored == key)
                    return new ZeroShotClassifier(labels, file.ReadTensor("weights"));
            }
            catch (CheckpointException)
            {
                // A damaged cache entry is rebuilt below.
            }
        }
        var classifier = build();
        Directory.CreateDirectory(_directory);
        SafetensorsWriter.Write(path, [new SafetensorsItem("weights", classifier.Weights, DType.F32)],
            new Dictionary<string, string> { ["key"] = key, ["classes"] = labels.Count.ToString(), ["templates"] = templates.Count.ToString() });
        return classifier;
    }
}
