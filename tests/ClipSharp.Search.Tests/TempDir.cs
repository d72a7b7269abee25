namespace ClipSharp.Search.Tests;

/// <summary>A fresh temporary directory, deleted when the test process exits or on Dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; }

    private TempDir(string path) => Path = path;

    public static TempDir Create()
    {
        var p = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "clipsharp-search-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(p);
        return new TempDir(p);
    }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
