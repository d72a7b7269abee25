namespace ClipSharp.Hub;

/// <summary>
/// One entry of a snapshot request: a file, or a list of alternatives tried in order (the first the repository
/// has wins), either required or optional. A 404 on an optional file or on a non-final alternative is not an error.
/// </summary>
public sealed record HubFileSpec
{
    /// <summary>Repository paths in order of preference (e.g. model.safetensors, then pytorch_model.bin).</summary>
    public IReadOnlyList<string> Candidates { get; }

    /// <summary>When true, the snapshot is complete without any of <see cref="Candidates"/>.</summary>
    public bool IsOptional { get; }

    private HubFileSpec(IReadOnlyList<string> candidates, bool optional)
    {
        if (candidates.Count == 0) throw new ArgumentException("a file spec needs at least one file name");
        foreach (var c in candidates) ValidatePath(c);
        Candidates = candidates;
        IsOptional = optional;
    }

    /// <summary>A file the snapshot must contain.</summary>
    public static HubFileSpec Required(string path) => new([path], false);

    /// <summary>A file fetched when the repository has it.</summary>
    public static HubFileSpec Optional(string path) => new([path], true);

    /// <summary>The first of <paramref name="paths"/> that the repository has; one of them is required.</summary>
    public static HubFileSpec OneOf(params string[] paths) => new(paths, false);

    /// <summary>A plain path is a required file.</summary>
    public static implicit operator HubFileSpec(string path) => Required(path);

    /// <summary>"a or b", with "(optional)" when optional.</summary>
    public override string ToString() => string.Join(" or ", Candidates) + (IsOptional ? " (optional)" : "");

    /// <summary>Throws ArgumentException for a path that is empty, absolute or climbs out of the snapshot.</summary>
    public static void ValidatePath(string path)
    {
        if (string.IsNullOrEmpty(path) || path.StartsWith('/') || path.Contains('\\') || path.Contains(':')
            || path.Split('/').Any(p => p is "" or "." or ".."))
            throw new ArgumentException($"'{path}' is not a repository file path (relative, '/'-separated, no '..')");
    }
}
