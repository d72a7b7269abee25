using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace ClipSharp.Pretrained;

/// <summary>
/// A stable identifier for a checkpoint's weights, "sha256:&lt;hex&gt;" of the weights file's content, so a
/// moved or copied file, or a new hub snapshot of the same weights, keeps its identity (and its index and
/// cached classifiers). A Hugging Face cache link into blobs/ already names that hash (LFS blobs are stored
/// under their sha256), so hub checkpoints are identified without reading them; other files are hashed once
/// per process and (path, size, modification time).
/// </summary>
public static class ModelIdentity
{
    private static readonly ConcurrentDictionary<(string, long, long), string> Hashed = new();
    private static readonly string[] WeightExtensions = [".safetensors", ".bin", ".pt", ".pth", ".ckpt"];

    /// <summary>The identifier of the weights at <paramref name="checkpointPath"/> (a file, or a model folder).</summary>
    public static string For(string checkpointPath) => "sha256:" + ContentHash(WeightsFile(checkpointPath));

    /// <summary>The file holding the weights: the path itself, or the largest weights file in a folder.</summary>
    public static string WeightsFile(string checkpointPath)
    {
        if (!Directory.Exists(checkpointPath)) return Path.GetFullPath(checkpointPath);
        return Directory.GetFiles(checkpointPath)
            .Where(f => WeightExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(f => new FileInfo(f).Length).ThenBy(f => f, StringComparer.Ordinal)
            .FirstOrDefault() ?? throw new FileNotFoundException($"{checkpointPath}: no weights file (*.safetensors, *.bin, *.pt) in the folder", checkpointPath);
    }

    /// <summary>Lower-case hex SHA-256 of the file's content (a hub blob link: the blob's name).</summary>
    public static string ContentHash(string file)
    {
        var info = new FileInfo(file);
        if (info.LinkTarget is { } target && Path.GetFileName(target) is { Length: 64 } blob
            && blob.All(Uri.IsHexDigit) && Path.GetFileName(Path.GetDirectoryName(target)) == "blobs")
            return blob.ToLowerInvariant();
        var resolved = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
        var key = (resolved.FullName, resolved.Length, resolved.LastWriteTimeUtc.Ticks);
        return Hashed.GetOrAdd(key, _ =>
        {
            using var stream = new FileStream(resolved.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }
}
