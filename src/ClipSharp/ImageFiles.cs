namespace ClipSharp;

/// <summary>Expands command-line image arguments (files and folders) into image file paths.</summary>
public static class ImageFiles
{
    /// <summary>File extensions treated as images when a folder is expanded.</summary>
    public static readonly IReadOnlySet<string> Extensions =
        new HashSet<string>([".jpg", ".jpeg", ".png", ".bmp", ".gif"], StringComparer.OrdinalIgnoreCase);

    /// <summary>Files as given; folders expanded recursively (sorted, hidden entries skipped).</summary>
    public static IReadOnlyList<string> Expand(IEnumerable<string> arguments)
    {
        var result = new List<string>();
        foreach (var arg in arguments)
        {
            if (Directory.Exists(arg)) result.AddRange(Walk(arg));
            else if (File.Exists(arg)) result.Add(arg);
            else throw new FileNotFoundException($"no such image file or folder: {arg}", arg);
        }
        return result;
    }

    private static IEnumerable<string> Walk(string dir)
    {
        foreach (var f in Directory.GetFiles(dir).Order(StringComparer.Ordinal))
            if (!Path.GetFileName(f).StartsWith('.') && Extensions.Contains(Path.GetExtension(f))) yield return f;
        foreach (var d in Directory.GetDirectories(dir).Order(StringComparer.Ordinal))
            if (!Path.GetFileName(d).StartsWith('.'))
                foreach (var f in Walk(d)) yield return f;
    }

    /// <summary>
    /// An ImageFolder tree: one sub-folder per class (sorted names are the labels), images inside.
    /// Returns the class names and (path, class index) pairs.
    /// </summary>
    public static (IReadOnlyList<string> Classes, IReadOnlyList<(string Path, int Label)> Samples) ImageFolder(string root)
    {
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"no such dataset folder: {root}");
        var classes = Directory.GetDirectories(root).Select(Path.GetFileName).Where(n => !n!.StartsWith('.'))
            .Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0) throw new InvalidDataException($"{root}: no class sub-folders (expected ImageFolder layout ROOT/CLASS/IMAGE)");
        var samples = new List<(string, int)>();
        for (int c = 0; c < classes.Length; c++)
            foreach (var f in Walk(Path.Combine(root, classes[c]!))) samples.Add((f, c));
        if (samples.Count == 0) throw new InvalidDataException($"{root}: no images found under the class folders");
        return (classes!, samples);
    }
}
