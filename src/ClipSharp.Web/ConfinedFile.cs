using ClipSharp.Search.Sync;

namespace ClipSharp.Web;

/// <summary>
/// Reads files only when they really lie under one folder. The folder walker refuses links that leave
/// the indexed folder at index time, but a file can be swapped for such a link afterwards; so every read
/// checks the path of what was actually opened. On Linux that is the kernel's name for the open file
/// descriptor (<c>/proc/self/fd/N</c>), so nothing can be swapped between the check and the read; elsewhere
/// the path is resolved link by link just before and just after opening, and both must be inside.
/// </summary>
internal sealed class ConfinedFile(string root)
{
    /// <summary>The folder with every link in it resolved.</summary>
    public string Root { get; } = RealPath.Resolve(root);

    /// <summary>The bytes of the file at <paramref name="path"/>, at most <paramref name="maxBytes"/> of them.</summary>
    /// <exception cref="OutsideRootException">The file resolves to a place outside <see cref="Root"/>.</exception>
    /// <exception cref="IOException">The file cannot be read or is larger than <paramref name="maxBytes"/>.</exception>
    public byte[] ReadAllBytes(string path, long maxBytes)
    {
        if (!OperatingSystem.IsLinux()) Require(RealPath.Resolve(path), path);
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        Require(OpenedPath(fs) ?? RealPath.Resolve(path), path);
        long length = fs.Length;
        if (length > maxBytes) throw new IOException($"{path} is {length} bytes, more than the {maxBytes} a thumbnail may read");
        var data = new byte[length];
        fs.ReadExactly(data);
        return data;
    }

    private void Require(string real, string path)
    {
        if (!RealPath.IsUnder(real, Root)) throw new OutsideRootException($"{path} now resolves to {real}, outside the indexed folder {Root}");
    }

    /// <summary>The kernel's path of an open file (Linux), or null where it cannot be had.</summary>
    private static string? OpenedPath(FileStream fs)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try { return new FileInfo($"/proc/self/fd/{fs.SafeFileHandle.DangerousGetHandle()}").LinkTarget; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}

/// <summary>An indexed file that now resolves outside the indexed folder (a link swapped in after indexing).</summary>
public sealed class OutsideRootException(string message) : IOException(message);
