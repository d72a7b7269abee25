namespace ClipSharp.Search.Sync;

/// <summary>
/// Keeps two syncs of one database from running at the same time, also across processes: an exclusive
/// lock on <c>&lt;database&gt;.lock</c> (an OS file lock, released when the process ends, even by a crash).
/// The lock file is named after the database's real path (every symbolic link resolved), so the same
/// database reached through a linked file or folder takes the same lock; named after the path as written,
/// a second writer through a link ran alongside and died on "UNIQUE constraint failed: images.path".
/// (Hard links are not seen through.) The file itself is left in place; only the lock on it matters.
/// </summary>
internal sealed class SyncLock : IDisposable
{
    private readonly FileStream _file;

    private SyncLock(FileStream file) => _file = file;

    /// <summary>Takes the lock or throws <see cref="IndexBusyException"/> at once if another sync holds it.</summary>
    public static SyncLock Acquire(string databasePath)
    {
        string path = RealPath.Resolve(databasePath) + ".lock";
        try
        {
            return new SyncLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new IndexBusyException($"{databasePath} is being updated by another sync (lock {path} is held): wait for it to finish", e);
        }
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>Another sync (in this or another process) is updating the same index database.</summary>
public sealed class IndexBusyException(string message, Exception? inner = null) : IOException(message, inner);
