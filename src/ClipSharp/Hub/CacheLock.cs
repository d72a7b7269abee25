namespace ClipSharp.Hub;

/// <summary>
/// An exclusive lock on <c>.locks/models--org--name/{etag}.lock</c>, held while a blob is downloaded so that two
/// processes (or a huggingface_hub process: on Unix both take a flock on the file) never write the same blob.
/// </summary>
internal sealed class CacheLock : IDisposable
{
    private readonly FileStream _stream;

    private CacheLock(FileStream stream) => _stream = stream;

    /// <summary>Waits until the lock is free (polling), or until <paramref name="ct"/> is cancelled.</summary>
    public static async Task<CacheLock> AcquireAsync(string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                return new CacheLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (!ct.IsCancellationRequested)
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
                if (delay < TimeSpan.FromSeconds(1)) delay *= 2;
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
