using System.Text.Json;

namespace ClipSharp.Cli.Commands;

/// <summary>Small helpers shared by commands: JSON output and input-file checks.</summary>
internal static class CommandHelpers
{
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    /// <summary>Throws a FileNotFoundException naming the option when <paramref name="path"/> is missing.</summary>
    public static string RequireFile(string path, string option)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new FileNotFoundException($"{option}: no such file or directory: {path}", path);
        return path;
    }
}
