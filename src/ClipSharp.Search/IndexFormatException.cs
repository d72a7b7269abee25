namespace ClipSharp.Search;

/// <summary>
/// A persisted index file (HNSW graph) or database is malformed, truncated, of another version, or
/// fails its checksum. The message names the file, the byte offset or field, and expected vs found.
/// Derives from <see cref="IOException"/> (InvalidDataException is sealed) so the CLI reports it as bad input.
/// </summary>
public sealed class IndexFormatException : IOException
{
    public string FilePath { get; }

    public IndexFormatException(string filePath, string message, Exception? inner = null)
        : base($"{filePath}: {message}", inner) => FilePath = filePath;
}

/// <summary>
/// An existing index was built for something else than the caller asks for (another model, root or
/// dimension). The message names both.
/// </summary>
public sealed class IndexMismatchException : InvalidOperationException
{
    public IndexMismatchException(string message) : base(message) { }
}
