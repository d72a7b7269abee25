using ClipSharp.Search.Sync;

namespace ClipSharp.Search.Tests;

/// <summary><see cref="ImageIndex.OpenDatabase"/>: a database path alone reopens the index of the folder it records.</summary>
public class OpenDatabaseTests
{
    [Fact]
    public async Task TheDatabaseNamesItsFolder()
    {
        using var dir = TempDir.Create();
        var root = dir.File("photos");
        FakeEmbedder.WriteRandom(Path.Combine(root, "a.png"), new Random(3));
        var db = dir.File("elsewhere/index.db");
        using (var index = ImageIndex.Open(root, new ImageIndexOptions { DatabasePath = db }))
            await index.SyncAsync(new FakeEmbedder());

        using var reopened = ImageIndex.OpenDatabase(db);
        Assert.Equal(Path.GetFullPath(root), reopened.Root);
        Assert.Equal(Path.GetFullPath(db), reopened.DatabasePath);
        Assert.Equal(1, reopened.Count);
        Assert.Equal("fake/v1", reopened.ModelId);
        Assert.NotNull(reopened.FindId("a.png"));
    }

    [Fact]
    public void AMissingDatabaseIsNotCreated()
    {
        using var dir = TempDir.Create();
        var db = dir.File("none/index.db");
        Assert.Throws<FileNotFoundException>(() => ImageIndex.OpenDatabase(db));
        Assert.False(Directory.Exists(dir.File("none")));
    }

    [Fact]
    public void ADatabaseWithoutARootIsRefused()
    {
        using var dir = TempDir.Create();
        var db = dir.File("index.db");
        Store.EmbeddingStore.Open(db).Dispose();
        var e = Assert.Throws<IndexFormatException>(() => ImageIndex.OpenDatabase(db));
        Assert.Contains("meta.root", e.Message);
    }

    [Fact]
    public async Task ASecondSyncOfTheSameDatabaseIsRefusedWhileOneRuns()
    {
        using var dir = TempDir.Create();
        var root = dir.File("photos");
        FakeEmbedder.WriteRandom(Path.Combine(root, "a.png"), new Random(4));
        using var index = ImageIndex.Open(root);
        using (new FileStream(index.DatabasePath + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var e = await Assert.ThrowsAsync<IndexBusyException>(() => index.SyncAsync(new FakeEmbedder()));
            Assert.Contains(index.DatabasePath, e.Message);
            Assert.Equal(0, index.Count);
        }
        var report = await index.SyncAsync(new FakeEmbedder());   // released: runs
        Assert.Equal(1, report.Added);
        Assert.Equal(0, (await index.SyncAsync(new FakeEmbedder())).Added);   // and the lock of a finished sync is released
    }

    /// <summary>
    /// Issue 19 item 10: the same database through a linked file and through a linked folder takes the same
    /// lock as its real path (a second writer is refused as busy, not left to hit a UNIQUE constraint), and
    /// after the first writer finishes a sync through the link sees everything the first one committed.
    /// </summary>
    [Fact]
    public async Task ASyncThroughASymlinkTakesTheRealPathsLock()
    {
        using var dir = TempDir.Create();
        var root = dir.File("photos");
        var rng = new Random(5);
        for (int i = 0; i < 3; i++) FakeEmbedder.WriteRandom(Path.Combine(root, $"{i}.png"), rng);
        using var index = ImageIndex.Open(root);
        string fileLink = dir.File("linked.db"), folderLink = dir.File("linked-dir");
        File.CreateSymbolicLink(fileLink, index.DatabasePath);
        Directory.CreateSymbolicLink(folderLink, Path.GetDirectoryName(index.DatabasePath)!);
        string viaFolder = Path.Combine(folderLink, Path.GetFileName(index.DatabasePath));
        foreach (string alias in new[] { fileLink, viaFolder })
        {
            using var other = ImageIndex.Open(root, new ImageIndexOptions { DatabasePath = alias });
            using (SyncLock.Acquire(index.DatabasePath))
            {
                var e = await Assert.ThrowsAsync<IndexBusyException>(() => other.SyncAsync(new FakeEmbedder()));
                Assert.Contains(alias, e.Message);
            }
            using (SyncLock.Acquire(alias))
                await Assert.ThrowsAsync<IndexBusyException>(() => index.SyncAsync(new FakeEmbedder()));
        }
        Assert.Equal(3, (await index.SyncAsync(new FakeEmbedder())).Added);
        using var late = ImageIndex.Open(root, new ImageIndexOptions { DatabasePath = fileLink });
        var report = await late.SyncAsync(new FakeEmbedder());
        Assert.Equal(0, report.Added);
        Assert.Equal(3, late.Count);
    }
}
