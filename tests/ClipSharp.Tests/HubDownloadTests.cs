using ClipSharp.Hub;
using ClipSharp.Tests.Hub;

namespace ClipSharp.Tests;

public class HubDownloadTests
{
    private static readonly string[] HfFiles = ["config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json"];

    [Fact]
    public async Task FirstRunDownloadsEverythingInTheHuggingFaceHubLayout()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());

        var dir = await client.ResolveClipRepoAsync(HubTestBed.RepoId, null);

        Assert.Equal(bed.SnapshotDir, dir);
        Assert.Equal(HubTestBed.Commit, File.ReadAllText(Path.Combine(bed.RepoFolder, "refs", "main")));
        foreach (var name in HfFiles)
        {
            var link = new FileInfo(Path.Combine(dir, name));
            var blobName = Path.GetFileName(bed.BlobOf(name));
            Assert.Equal("../../blobs/" + blobName, link.LinkTarget);
            Assert.Equal(bed.Files[name], File.ReadAllBytes(link.FullName));
            Assert.True(File.Exists(bed.BlobOf(name)), $"blob for {name}");
        }
        // LFS blobs are named by sha256, small files by their git sha1
        Assert.Equal(64, Path.GetFileName(bed.BlobOf("model.safetensors")).Length);
        Assert.Equal(40, Path.GetFileName(bed.BlobOf("config.json")).Length);
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.RepoFolder, "blobs"), "*.incomplete"));
        // optional files the repository lacks are remembered the way huggingface_hub does
        Assert.True(File.Exists(Path.Combine(bed.RepoFolder, ".no_exist", HubTestBed.Commit, "tokenizer.json")));
        Assert.False(File.Exists(Path.Combine(dir, "tokenizer.json")));
        // the LFS HEAD did not follow the redirect to the CDN; the GET did
        Assert.DoesNotContain(bed.Server.Requests, r => r.Method == "HEAD" && r.Port == bed.Server.CdnPort);
        Assert.Single(bed.Server.Gets("/cdn/"));
    }

    [Fact]
    public async Task SecondRunOnlyAsksForMetadata()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());
        await client.ResolveClipRepoAsync(HubTestBed.RepoId, "main");
        bed.Server.Requests.Clear();

        var dir = await client.ResolveClipRepoAsync(HubTestBed.RepoId, "main");

        Assert.Equal(bed.SnapshotDir, dir);
        Assert.NotEmpty(bed.Server.Requests);
        Assert.All(bed.Server.Requests, r => Assert.Equal("HEAD", r.Method));
    }

    [Fact]
    public async Task CommitRevisionWithCachedFilesNeedsNoNetwork()
    {
        using var bed = new HubTestBed();
        using (var client = new HubClient(bed.Options()))
            await client.SnapshotDownloadAsync(HubTestBed.RepoId, HubTestBed.Commit, HfFiles);
        Assert.False(Directory.Exists(Path.Combine(bed.RepoFolder, "refs")), "a commit revision writes no ref");
        bed.Server.Requests.Clear();

        using var again = new HubClient(bed.Options());
        var dir = await again.SnapshotDownloadAsync(HubTestBed.RepoId, HubTestBed.Commit, HfFiles);

        Assert.Equal(bed.SnapshotDir, dir);
        Assert.Empty(bed.Server.Requests);

        // optional files learned absent (.no_exist) at a pinned commit are not asked for again either
        await again.ResolveClipRepoAsync(HubTestBed.RepoId, HubTestBed.Commit);
        bed.Server.Requests.Clear();
        await again.ResolveClipRepoAsync(HubTestBed.RepoId, HubTestBed.Commit);
        Assert.Empty(bed.Server.Requests);
    }

    [Fact]
    public async Task InterruptedBodyIsResumedWithARangeRequest()
    {
        using var bed = new HubTestBed();
        const long cut = 5_000_000;
        bed.Server.Faults.Add(new FakeHubServer.Fault("model.safetensors", FakeHubServer.FaultKind.CutBody, 1, cut));
        using var client = new HubClient(bed.Options());

        var dir = await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);

        var gets = bed.Server.Gets("/cdn/").ToList();
        Assert.Equal(2, gets.Count);
        Assert.Null(gets[0].Range);
        Assert.Equal($"bytes={cut}-", gets[1].Range);
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task DownloadThatBreaksOffIsResumedByTheNextRun()
    {
        using var bed = new HubTestBed();
        const long cut = 3_000_000;
        bed.Server.Faults.Add(new FakeHubServer.Fault("model.safetensors", FakeHubServer.FaultKind.CutBody, 1, cut));
        var noRetry = bed.Options() with { MaxResumeAttempts = 0 };

        using (var first = new HubClient(noRetry))
        {
            var e = await Assert.ThrowsAsync<HubUnreachableException>(
                () => first.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]));
            Assert.Contains("model.safetensors", e.Message);
            Assert.Contains("resume", e.Message);
        }
        var incomplete = bed.BlobOf("model.safetensors") + ".incomplete";
        Assert.Equal(cut, new FileInfo(incomplete).Length);
        Assert.False(Directory.Exists(Path.Combine(bed.RepoFolder, "refs")), "no ref for a snapshot that is not complete");

        using var second = new HubClient(noRetry);
        var dir = await second.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);

        Assert.Equal($"bytes={cut}-", bed.Server.Gets("/cdn/").Last().Range);
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.False(File.Exists(incomplete));
    }

    [Fact]
    public async Task CorruptedBodyFailsTheSha256AndIsFetchedAgain()
    {
        using var bed = new HubTestBed();
        bed.Server.Faults.Add(new FakeHubServer.Fault("model.safetensors", FakeHubServer.FaultKind.Corrupt, 1));
        using var client = new HubClient(bed.Options());

        var dir = await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);

        var gets = bed.Server.Gets("/cdn/").ToList();
        Assert.Equal(2, gets.Count);
        Assert.All(gets, g => Assert.Null(g.Range)); // the bad bytes were discarded, not resumed from
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task CorruptedTwiceIsAClearIntegrityError()
    {
        using var bed = new HubTestBed();
        bed.Server.Faults.Add(new FakeHubServer.Fault("model.safetensors", FakeHubServer.FaultKind.Corrupt, 2));
        using var client = new HubClient(bed.Options());

        var e = await Assert.ThrowsAsync<HubIntegrityException>(
            () => client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]));

        Assert.StartsWith($"hf:{HubTestBed.RepoId}@main: model.safetensors: sha256 mismatch", e.Message);
        Assert.Contains(FakeHubServer.Sha256(bed.Files["model.safetensors"]), e.Message);
        Assert.False(File.Exists(bed.BlobOf("model.safetensors")));
        Assert.False(File.Exists(bed.BlobOf("model.safetensors") + ".incomplete"));
    }

    [Fact]
    public async Task CorruptedBlobInCacheIsDetectedWhenVerifyingAndReplaced()
    {
        using var bed = new HubTestBed();
        using (var client = new HubClient(bed.Options()))
            await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);
        var blob = bed.BlobOf("model.safetensors");
        using (var f = new FileStream(blob, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 1000;
            f.WriteByte((byte)(bed.Files["model.safetensors"][1000] ^ 0xFF));
        }
        bed.Server.Requests.Clear();

        using var verifying = new HubClient(bed.Options() with { VerifyCachedBlobs = true });
        var dir = await verifying.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);

        Assert.Single(bed.Server.Gets("/cdn/"));
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task TruncatedBlobInCacheIsDetectedBySizeAlone()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());
        await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);
        using (var f = new FileStream(bed.BlobOf("model.safetensors"), FileMode.Open)) f.SetLength(1234);

        var dir = await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);

        Assert.Equal(2, bed.Server.Gets("/cdn/").Count());
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task ServerErrorsDuringTheBodyAreRetried()
    {
        using var bed = new HubTestBed();
        bed.Server.Faults.Add(new FakeHubServer.Fault("merges.txt", FakeHubServer.FaultKind.ServerError, 2));
        using var client = new HubClient(bed.Options());

        var dir = await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["merges.txt"]);

        Assert.Equal(3, bed.Server.Gets("/merges.txt").Count());
        Assert.Equal(bed.Files["merges.txt"], File.ReadAllBytes(Path.Combine(dir, "merges.txt")));
    }

    [Fact]
    public async Task ProgressReportsEndWithTheWholeFile()
    {
        using var bed = new HubTestBed();
        var reports = new List<DownloadProgress>();
        using var client = new HubClient(bed.Options(), new SyncProgress(reports.Add));

        await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["config.json", "model.safetensors"]);

        var last = reports.Where(r => r.File == "model.safetensors").Last();
        Assert.True(last.Completed);
        Assert.Equal(bed.Files["model.safetensors"].Length, last.BytesDone);
        Assert.Equal(bed.Files["model.safetensors"].Length, last.TotalBytes);
        Assert.Equal((2, 2), (last.FileIndex, last.FileCount));
        Assert.Equal(1.0, last.Fraction);
        Assert.Contains(reports, r => r.File == "config.json" && r.Completed && r.FileIndex == 1);
        var partial = reports.Where(r => r.File == "model.safetensors" && !r.Completed).ToList();
        Assert.NotEmpty(partial); // the first chunk is reported at once, later ones about ten times a second
        Assert.All(partial, r => Assert.InRange(r.BytesDone, 1, bed.Files["model.safetensors"].Length));
    }

    [Fact]
    public async Task CancelledDownloadLeavesAPartialFileThatTheNextRunResumes()
    {
        using var bed = new HubTestBed();
        using var cts = new CancellationTokenSource();
        using (var client = new HubClient(bed.Options(), new SyncProgress(p => { if (p.BytesDone > 0 && !p.Completed) cts.Cancel(); })))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(
                () => client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"], cts.Token));
        var incomplete = bed.BlobOf("model.safetensors") + ".incomplete";
        long have = new FileInfo(incomplete).Length;
        Assert.InRange(have, 1, bed.Files["model.safetensors"].Length - 1);

        using var again = new HubClient(bed.Options());
        var dir = await again.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["model.safetensors"]);

        Assert.Equal($"bytes={have}-", bed.Server.Gets("/cdn/").Last().Range);
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task MovedBranchGetsTheNewCommitAndUpdatesTheRef()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());
        await client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["config.json"]);
        var newCommit = FakeHubServer.FakeCommit("vit-tiny-2");
        var changed = new Dictionary<string, byte[]>(bed.Files) { ["config.json"] = "{\"changed\": true}"u8.ToArray() };
        bed.Server.Repos[HubTestBed.RepoId].Commits[newCommit] = changed;
        bed.Server.Repos[HubTestBed.RepoId].Refs["main"] = newCommit;

        var dir = await client.SnapshotDownloadAsync(HubTestBed.RepoId, "main", ["config.json"]);

        Assert.EndsWith(newCommit, dir);
        Assert.Equal(newCommit, File.ReadAllText(Path.Combine(bed.RepoFolder, "refs", "main")));
        Assert.Equal("{\"changed\": true}", File.ReadAllText(Path.Combine(dir, "config.json")));
        Assert.True(File.Exists(Path.Combine(bed.SnapshotDir, "config.json")), "the old snapshot stays");
    }

    [Fact]
    public async Task ConcurrentDownloadsOfTheSameRepositoryShareTheCache()
    {
        using var bed = new HubTestBed();
        using var a = new HubClient(bed.Options());
        using var b = new HubClient(bed.Options());

        var dirs = await Task.WhenAll(a.ResolveClipRepoAsync(HubTestBed.RepoId), b.ResolveClipRepoAsync(HubTestBed.RepoId));

        Assert.All(dirs, d => Assert.Equal(bed.SnapshotDir, d));
        Assert.Equal(bed.Files["model.safetensors"], File.ReadAllBytes(Path.Combine(bed.SnapshotDir, "model.safetensors")));
        Assert.Empty(Directory.GetFiles(Path.Combine(bed.RepoFolder, "blobs"), "*.incomplete"));
    }

    [Fact]
    public async Task OpenClipRepositoryIsResolvedWithoutFetchingAPartialHuggingFaceSet()
    {
        using var bed = new HubTestBed();
        var commit = FakeHubServer.FakeCommit("open-clip");
        var weights = bed.Files["model.safetensors"];
        bed.Server.AddRepo("timm/tiny-clip", commit, new()
        {
            ["config.json"] = "{\"architecture\": \"vit\"}"u8.ToArray(), // timm-style config, no tokenizer files
            ["model.safetensors"] = weights,
            ["open_clip_config.json"] = "{\"model_cfg\": {}}"u8.ToArray(),
            ["open_clip_pytorch_model.bin"] = [1, 2, 3, 4],
            ["open_clip_model.safetensors"] = weights,
        });
        using var client = new HubClient(bed.Options());

        var dir = await client.ResolveClipRepoAsync("timm/tiny-clip");

        Assert.True(File.Exists(Path.Combine(dir, "open_clip_config.json")));
        Assert.True(File.Exists(Path.Combine(dir, "open_clip_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "open_clip_pytorch_model.bin")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.DoesNotContain(bed.Server.Requests, r => r.Method == "GET" && r.Path.Contains("/resolve/", StringComparison.Ordinal)
            && !r.Path.Contains("open_clip", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PytorchWeightsAreTheFallbackWhenThereIsNoSafetensors()
    {
        using var bed = new HubTestBed();
        var files = new Dictionary<string, byte[]>(bed.Files);
        files["pytorch_model.bin"] = files["model.safetensors"];
        files.Remove("model.safetensors");
        bed.Server.AddRepo("test-org/old-style", FakeHubServer.FakeCommit("old"), files);
        using var client = new HubClient(bed.Options());

        var dir = await client.ResolveClipRepoAsync("test-org/old-style");

        Assert.True(File.Exists(Path.Combine(dir, "pytorch_model.bin")));
        Assert.True(File.Exists(Path.Combine(bed.CacheDir, "models--test-org--old-style", ".no_exist",
            FakeHubServer.FakeCommit("old"), "model.safetensors")));
    }

    [Fact]
    public async Task RenamedRepositoryRedirectIsFollowed()
    {
        using var bed = new HubTestBed();
        bed.Server.Renames["old-org/vit-tiny"] = HubTestBed.RepoId;
        using var client = new HubClient(bed.Options());

        var dir = await client.SnapshotDownloadAsync("old-org/vit-tiny", null, ["config.json"]);

        Assert.Equal(bed.Files["config.json"], File.ReadAllBytes(Path.Combine(dir, "config.json")));
        Assert.Contains("models--old-org--vit-tiny", dir);
    }

    private sealed class SyncProgress(Action<DownloadProgress> report) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value) => report(value);
    }
}
