using System.Security.Cryptography;
using ClipSharp.Search.Store;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

public class StoreTests
{
    private static byte[] Sha(string s) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s));

    [Fact]
    public void ThrowMidBatchKeepsEarlierBatchesAndLeavesNoTrace()
    {
        using var dir = TempDir.Create();
        string db = dir.File("i.db");
        var rows = TestVectors.RandomUnits(1, 10, 6);
        using (var store = EmbeddingStore.Open(db))
        {
            using (var batch = store.BeginBatch())
            {
                for (int i = 0; i < 5; i++) batch.InsertImage($"p{i}.png", 10 + i, 100 + i, Sha($"p{i}"), 4, 3, "m", rows[i], VectorPrecision.Float32);
                batch.Commit();
            }
            Assert.Throws<ArgumentException>(() =>
            {
                using var batch = store.BeginBatch();
                for (int i = 5; i < 10; i++)
                    batch.InsertImage($"p{i}.png", 1, 1, i == 8 ? new byte[5] : Sha($"p{i}"), 4, 3, "m", rows[i], VectorPrecision.Float32);
                batch.Commit();
            });
            Assert.Equal(5, store.ImageCount());
            Assert.Equal("ok", store.CheckIntegrity());
        }
        // a batch abandoned without commit (as if the process died mid-batch) is not visible after reopening
        var crashed = EmbeddingStore.Open(db);
        var open = crashed.BeginBatch();
        open.InsertImage("ghost.png", 1, 1, Sha("ghost"), 1, 1, "m", rows[9], VectorPrecision.Float32);
        using (var other = EmbeddingStore.Open(db))
        {
            Assert.Equal(5, other.ImageCount()); // readers never see uncommitted rows (WAL)
        }
        open.Dispose();
        crashed.Dispose();
        using (var store = EmbeddingStore.Open(db))
        {
            Assert.Equal(5, store.ImageCount());
            Assert.Null(store.FindByPath("ghost.png"));
            Assert.Equal("ok", store.CheckIntegrity());
            Assert.Equal("wal", Scalar(store, "PRAGMA journal_mode"));
            var (ids, m) = store.LoadMatrix("m", 6, VectorPrecision.Float32);
            Assert.Equal(5, ids.Length);
            for (int i = 0; i < 5; i++) Assert.Equal(rows[i], m.GetRow(i));
        }
    }

    [Fact]
    public void UpsertDeleteCopyAndMatrixPrecisions()
    {
        using var dir = TempDir.Create();
        using var store = EmbeddingStore.Open(dir.File("sub/i.db"));
        var rows = TestVectors.RandomUnits(2, 3, 8);
        long a, b, c;
        using (var batch = store.BeginBatch())
        {
            a = batch.InsertImage("a.png", 1, 1, Sha("a"), 5, 6, "m", rows[0], VectorPrecision.Float16);
            b = batch.InsertImage("b.png", 1, 1, Sha("b"), 5, 6, "m", rows[1], VectorPrecision.Float32);
            c = batch.InsertImageCopyingEmbeddings("c.png", 1, 1, Sha("a"), 5, 6, a);
            batch.UpdateFile(b, "moved/b.png", 2, 3);
            batch.RecordFailure("bad.png", 1, 2, "corrupt");
            batch.Commit();
        }
        Assert.True(a < b && b < c);
        Assert.Equal("moved/b.png", store.GetImage(b)!.Path);
        Assert.Equal((2L, 3L), (store.GetImage(b)!.Size, store.GetImage(b)!.MtimeTicks));
        Assert.Equal("corrupt", store.LoadFailures()["bad.png"].Reason);
        Assert.Equal(store.GetEmbedding(a, "m"), store.GetEmbedding(c, "m"));
        var halfA = rows[0].Select(x => (float)(Half)x).ToArray();
        Assert.Equal(halfA, store.GetEmbedding(a, "m"));
        Assert.Equal(rows[1], store.GetEmbedding(b, "m"));

        var (ids16, m16) = store.LoadMatrix("m", 8, VectorPrecision.Float16);
        var (ids32, m32) = store.LoadMatrix("m", 8, VectorPrecision.Float32);
        Assert.Equal([a, b, c], ids16);
        Assert.Equal(ids16, ids32);
        Assert.Equal(VectorPrecision.Float16, m16.Precision);
        Assert.Equal(halfA, m32.GetRow(0));
        Assert.Throws<IndexMismatchException>(() => store.LoadMatrix("m", 7, VectorPrecision.Float32));

        using (var batch = store.BeginBatch())
        {
            batch.DeleteImage(a);
            batch.ClearFailure("bad.png");
            batch.Commit();
        }
        Assert.Null(store.GetImage(a));
        Assert.Null(store.GetEmbedding(a, "m")); // cascaded
        Assert.Equal(2, store.EmbeddingCount("m"));
        Assert.Empty(store.LoadFailures());
        Assert.Equal("ok", store.CheckIntegrity());
        // ids are never reused
        using (var batch = store.BeginBatch())
        {
            Assert.True(batch.InsertImage("a.png", 1, 1, Sha("a"), 5, 6, "m", rows[0], VectorPrecision.Float32) > c);
            Assert.Throws<Microsoft.Data.Sqlite.SqliteException>(() =>
                batch.InsertImage("c.png", 1, 1, Sha("x"), 5, 6, "m", rows[0], VectorPrecision.Float32)); // path is unique
        }
    }

    [Fact]
    public void RejectsNewerSchema()
    {
        using var dir = TempDir.Create();
        string db = dir.File("i.db");
        using (var store = EmbeddingStore.Open(db)) store.SetMeta("schema_version", "99");
        var e = Assert.Throws<IndexFormatException>(() => EmbeddingStore.Open(db));
        Assert.Contains("schema_version is 99", e.Message);
        File.WriteAllText(dir.File("junk.db"), new string('x', 5000));
        Assert.Throws<IndexFormatException>(() => EmbeddingStore.Open(dir.File("junk.db")));
    }

    private static string? Scalar(EmbeddingStore store, string sql)
    {
        using var cmd = store.Command(sql);
        return cmd.ExecuteScalar()?.ToString();
    }
}
