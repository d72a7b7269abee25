using ClipSharp.Search.Sync;

namespace ClipSharp.Search.Tests;

public class SyncTests
{
    private static readonly SyncOptions Small = new() { BatchSize = 4, DecodeThreads = 3 };

    private sealed class Tree : IDisposable
    {
        public readonly TempDir Dir = TempDir.Create();
        public readonly TempDir Outside = TempDir.Create();
        public string Root => Path.Combine(Dir.Path, "photos");
        public string P(string rel) => Path.Combine(Root, rel);
        public void Dispose() { Dir.Dispose(); Outside.Dispose(); }
    }

    private static ImageIndex Open(Tree t, params string[] exclude) =>
        ImageIndex.Open(t.Root, new ImageIndexOptions { Exclude = exclude, DatabasePath = Path.Combine(t.Dir.Path, "db", "index.db") });

    /// <summary>
    /// Files with the same content are embedded once however the decode workers deliver them: a copy in the same
    /// batch as its first occurrence copies the embedding planned there (CI once saw 7 added and 0 copied instead of
    /// 6 and 1, when a file and a link to it landed in one batch).
    /// </summary>
    [Fact]
    public async Task IdenticalFilesInOneBatchAreEmbeddedOnce()
    {
        using var t = new Tree();
        var rng = new Random(2);
        var v = FakeEmbedder.WriteRandom(t.P("orig.png"), rng);
        for (int i = 0; i < 23; i++) File.Copy(t.P("orig.png"), t.P($"copy{i:D2}.png"));
        FakeEmbedder.WriteRandom(t.P("other.png"), rng);
        using var index = Open(t);
        var fake = new FakeEmbedder();
        var report = await index.SyncAsync(fake, new SyncOptions { BatchSize = 64, DecodeThreads = 3 });
        Assert.Equal(2, fake.Embedded);
        Assert.Equal(2, report.Added);
        Assert.Equal(23, report.Copied);
        Assert.Equal(25, index.Count);
        Assert.Equal("ok", index.CheckIntegrity());
        Assert.All(index.Search(v, 24), h => Assert.Equal(1f, h.Score, 3));
    }

    [Fact]
    public async Task FirstSyncIndexesImagesAndReportsEverythingElse()
    {
        using var t = new Tree();
        var rng = new Random(1);
        var vectors = new Dictionary<string, float[]>();
        foreach (var rel in new[] { "a.jpg", "b.PNG", "sub/c.jpeg", "sub/deeper/d.bmp", "sub/e.gif", "f g/h i.png" })
            vectors[rel] = FakeEmbedder.WriteRandom(t.P(rel), rng);
        FakeEmbedder.WriteRandom(t.P(".hidden.png"), rng);
        FakeEmbedder.WriteRandom(t.P(".cache/x.png"), rng);
        FakeEmbedder.WriteRandom(t.P("thumbs/t.png"), rng);
        FakeEmbedder.WriteRandom(t.P("sub/skip.tmp.png"), rng);
        File.WriteAllText(t.P("notes.txt"), "not an image");
        File.WriteAllBytes(t.P("bad.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 0x12]);
        File.WriteAllText(t.P("pic.webp"), "RIFF....WEBP");
        var outsideFile = Path.Combine(t.Outside.Path, "o.png");
        FakeEmbedder.WriteRandom(outsideFile, rng);
        FakeEmbedder.WriteRandom(Path.Combine(t.Outside.Path, "dir", "p.png"), rng);
        File.CreateSymbolicLink(t.P("link-out.png"), outsideFile);
        Directory.CreateSymbolicLink(t.P("dirlink-out"), Path.Combine(t.Outside.Path, "dir"));
        File.CreateSymbolicLink(t.P("sub/link-in.png"), t.P("a.jpg"));          // inside: followed (a copy of a.jpg)
        File.CreateSymbolicLink(t.P("sneaky"), "../photos/../../" + Path.GetFileName(t.Outside.Path)); // relative, resolves outside
        Directory.CreateSymbolicLink(t.P("sub/loop"), t.Root);                  // inside but already visited

        using var index = Open(t, "thumbs", "*.tmp.png");
        var fake = new FakeEmbedder();
        var progress = new List<IndexProgress>();
        var report = await index.SyncAsync(fake, Small, new SyncProgress(progress));

        Assert.Equal(8, report.Found); // 6 + link-in.png + bad.jpg
        Assert.Equal(6, report.Added);
        Assert.Equal(1, report.Copied); // the inside link has a.jpg's content: embedding copied
        Assert.Equal(6, fake.Embedded);
        Assert.Equal(7, index.Count);
        Assert.Equal(["bad.jpg", "pic.webp"], report.Failures.Select(f => f.Path).Order());
        Assert.Contains("WebP", report.Failures.Single(f => f.Path == "pic.webp").Reason);
        Assert.Contains("not a fake image", report.Failures.Single(f => f.Path == "bad.jpg").Reason);
        Assert.Equal(["dirlink-out", "link-out.png", "sneaky"], report.Skipped.Select(s => s.Path).Order());
        Assert.All(report.Skipped, s => Assert.Contains("outside", s.Reason));
        Assert.Equal("ok", index.CheckIntegrity());
        Assert.True(fake.MaxBatchSeen <= 4);

        foreach (var (rel, v) in vectors)
        {
            var hit = index.Search(v, 1)[0];
            Assert.True(hit.RelativePath == rel || (rel == "a.jpg" && hit.RelativePath == "sub/link-in.png"), $"{rel} found {hit.RelativePath}");
            Assert.Equal(1f, hit.Score, 3);
            Assert.Equal(t.P(rel), index.GetPath(index.FindId(rel)!.Value));
        }
        var rec = index.GetImage(index.FindId("sub/c.jpeg")!.Value)!;
        Assert.Equal((64, 48), (rec.Width, rec.Height));
        Assert.Equal(32, rec.Sha256.Length);

        Assert.Equal(SyncPhase.Finished, progress[^1].Phase);
        Assert.Equal(progress[^1].Total, progress[^1].Done);
        Assert.Equal(8, progress[^1].Total); // 6 new + link + bad.jpg
        for (int i = 1; i < progress.Count; i++) Assert.True(progress[i].Done >= progress[i - 1].Done);
    }

    [Fact]
    public async Task ResyncDetectsChangedTouchedMovedCopiedDeletedAndFixedFiles()
    {
        using var t = new Tree();
        var rng = new Random(2);
        var v = new Dictionary<string, float[]>();
        foreach (var rel in new[] { "keep.png", "change.png", "touch.png", "move.png", "copy.png", "delete.png" })
            v[rel] = FakeEmbedder.WriteRandom(t.P(rel), rng);
        File.WriteAllText(t.P("broken.png"), "garbage");
        using var index = Open(t);
        var fake = new FakeEmbedder();
        var first = await index.SyncAsync(fake, Small);
        Assert.Equal(6, first.Added);
        Assert.Single(first.Failures);
        long moveId = index.FindId("move.png")!.Value, keepId = index.FindId("keep.png")!.Value, changeId = index.FindId("change.png")!.Value;

        // nothing changed: nothing read, nothing embedded
        var again = new FakeEmbedder();
        var r0 = await index.SyncAsync(again, Small);
        Assert.Equal(6, r0.Unchanged);
        Assert.Equal(0, again.Prepared);
        Assert.Equal(0, again.Embedded);
        Assert.Single(r0.Failures); // remembered: the broken file is reported without decoding it again

        var changed = FakeEmbedder.WriteRandom(t.P("change.png"), rng);
        File.SetLastWriteTimeUtc(t.P("touch.png"), DateTime.UtcNow.AddMinutes(5));
        Directory.CreateDirectory(t.P("moved"));
        File.Move(t.P("move.png"), t.P("moved/here.png"));
        File.Copy(t.P("copy.png"), t.P("copy2.png"));
        File.Delete(t.P("delete.png"));
        var fixedV = FakeEmbedder.WriteRandom(t.P("broken.png"), rng);

        var second = new FakeEmbedder();
        var r = await index.SyncAsync(second, Small);
        Assert.Equal((1, 1, 1, 1, 1, 1, 1), (r.Unchanged - 1, r.Changed, r.Touched, r.Moved, r.Copied, r.Removed, r.Added));
        Assert.Equal(2, second.Embedded); // change.png and the repaired broken.png only
        Assert.Empty(r.Failures);
        Assert.Equal(moveId, index.FindId("moved/here.png"));      // a move keeps the id
        Assert.Equal(keepId, index.FindId("keep.png"));
        Assert.NotEqual(changeId, index.FindId("change.png"));     // new content, new id
        Assert.Null(index.FindId("delete.png"));
        Assert.Null(index.FindId("move.png"));
        Assert.Equal(7, index.Count);
        Assert.Equal("change.png", index.Search(changed, 1)[0].RelativePath);
        Assert.Equal("broken.png", index.Search(fixedV, 1)[0].RelativePath);
        Assert.Equal(["copy.png", "copy2.png"], index.Search(v["copy.png"], 2).Select(h => h.RelativePath).Order());
        Assert.DoesNotContain(index.Search(v["delete.png"], 10), h => h.RelativePath == "delete.png");
        Assert.Equal("ok", index.CheckIntegrity());
    }

    [Fact]
    public async Task CancelledRunResumesWithoutReEmbedding()
    {
        using var t = new Tree();
        var rng = new Random(3);
        for (int i = 0; i < 60; i++) FakeEmbedder.WriteRandom(t.P($"img{i:D3}.png"), rng);
        using var cts = new CancellationTokenSource();
        var fake = new FakeEmbedder { };
        fake.BeforeBatch = n => { if (n == 4) cts.Cancel(); };
        using (var index = Open(t))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => index.SyncAsync(fake, Small, null, cts.Token));
            Assert.Equal("ok", index.CheckIntegrity());
            Assert.Equal(12, index.Count); // batches 1-3 committed; batch 4 was embedded but cancelled before commit
        }
        using (var index = Open(t)) // a fresh process would reopen the database like this
        {
            var resume = new FakeEmbedder();
            var r = await index.SyncAsync(resume, Small);
            Assert.Equal(48, resume.Embedded);
            Assert.Equal(12, r.Unchanged);
            Assert.Equal(48, r.Added);
            Assert.Equal(60, index.Count);
            Assert.Equal("ok", index.CheckIntegrity());
        }
    }

    [Fact]
    public async Task EncoderCrashKeepsCommittedBatchesAndDatabaseConsistent()
    {
        using var t = new Tree();
        var rng = new Random(4);
        for (int i = 0; i < 30; i++) FakeEmbedder.WriteRandom(t.P($"d{i % 3}/img{i:D2}.png"), rng);
        var fake = new FakeEmbedder { BeforeBatch = n => { if (n == 3) throw new InvalidOperationException("simulated encoder crash"); } };
        using (var index = Open(t))
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => index.SyncAsync(fake, Small));
            Assert.Contains("simulated", e.Message);
        }
        using (var index = Open(t))
        {
            Assert.Equal(8, index.Count);
            Assert.Equal("ok", index.CheckIntegrity());
            var resume = new FakeEmbedder();
            await index.SyncAsync(resume, Small);
            Assert.Equal(22, resume.Embedded);
            Assert.Equal(30, index.Count);
        }
    }

    [Fact]
    public async Task ModelMismatchIsRefused()
    {
        using var t = new Tree();
        FakeEmbedder.WriteRandom(t.P("a.png"), new Random(5));
        using var index = Open(t);
        await index.SyncAsync(new FakeEmbedder(8, "model-a"), Small);
        var e = await Assert.ThrowsAsync<IndexMismatchException>(() => index.SyncAsync(new FakeEmbedder(8, "model-b"), Small));
        Assert.Contains("model-a", e.Message);
        Assert.Contains("model-b", e.Message);
        Assert.Throws<ArgumentException>(() => index.Search(new float[5], 3));
    }

    [Fact]
    public async Task LargeIndexUsesPersistedHnswAndUpdatesItIncrementally()
    {
        using var t = new Tree();
        var rng = new Random(6);
        var v = new Dictionary<string, float[]>();
        for (int i = 0; i < 120; i++) v[$"i{i:D3}.png"] = FakeEmbedder.WriteRandom(t.P($"i{i:D3}.png"), rng, 16);
        var options = new ImageIndexOptions
        {
            DatabasePath = Path.Combine(t.Dir.Path, "db", "index.db"),
            Search = new VectorIndexOptions { ExactThreshold = 50, Hnsw = new(8, 40, 40) },
        };
        using (var index = ImageIndex.Open(t.Root, options))
        {
            await index.SyncAsync(new FakeEmbedder(16), Small);
            Assert.True(index.IsApproximate);
            Assert.True(File.Exists(index.GraphPath));
            Assert.Equal("i007.png", index.Search(v["i007.png"], 1)[0].RelativePath);
        }
        for (int i = 0; i < 10; i++) File.Delete(t.P($"i{i:D3}.png"));
        var extra = FakeEmbedder.WriteRandom(t.P("new.png"), rng, 16);
        using (var index = ImageIndex.Open(t.Root, options))
        {
            await index.SyncAsync(new FakeEmbedder(16), Small);
            Assert.Equal("new.png", index.Search(extra, 1)[0].RelativePath);
            var all = index.Search(v["i050.png"], 200);
            Assert.Equal(111, all.Count);
            Assert.DoesNotContain(all, h => string.CompareOrdinal(h.RelativePath, "i010.png") < 0);
        }
        var graph = Hnsw.HnswIndex.Load(Path.Combine(t.Dir.Path, "db", "index.db.hnsw"));
        Assert.Equal(111, graph.Count);
        Assert.Equal(10, graph.DeletedCount); // updated in place, not rebuilt (10/121 < 25 %)
    }

    [Fact]
    public async Task DupesGroupsNearIdenticalImages()
    {
        using var t = new Tree();
        var rng = new Random(7);
        var a = TestVectors.RandomUnit(rng, 8);
        var b = TestVectors.RandomUnit(rng, 8);
        FakeEmbedder.Write(t.P("a1.png"), a);
        FakeEmbedder.Write(t.P("a2.png"), a.Select(x => x + 0.01f).ToArray());
        FakeEmbedder.Write(t.P("a3.png"), a.Select((x, i) => i == 0 ? x + 0.02f : x).ToArray());
        FakeEmbedder.Write(t.P("b1.png"), b);
        FakeEmbedder.Write(t.P("b2.png"), b.Select((x, i) => i == 3 ? x - 0.01f : x).ToArray());
        for (int i = 0; i < 10; i++) FakeEmbedder.WriteRandom(t.P($"other{i}.png"), rng);
        using var index = Open(t);
        await index.SyncAsync(new FakeEmbedder(), Small);
        var groups = index.Dupes(0.99f);
        Assert.Equal(2, groups.Count);
        // Members come by id, and ids follow the order in which the pipelined sync finished the files.
        Assert.Equal(["a1.png", "a2.png", "a3.png"], groups[0].Images.Select(i => i.RelativePath).Order());
        Assert.Equal(["b1.png", "b2.png"], groups[1].Images.Select(i => i.RelativePath).Order());
        Assert.All(groups, g => Assert.Equal(g.Images.Select(i => i.Id).Order(), g.Images.Select(i => i.Id)));
        var pairs = index.DuplicatePairs(0.99f);
        Assert.Equal(4, pairs.Count);
        Assert.All(pairs, p => Assert.True(p.Score >= 0.99f && p.A.Id < p.B.Id));
    }

    private sealed class SyncProgress(List<IndexProgress> sink) : IProgress<IndexProgress>
    {
        public void Report(IndexProgress value) { lock (sink) sink.Add(value); }
    }
}
