using ClipSharp.Hub;
using ClipSharp.Tests.Hub;

namespace ClipSharp.Tests;

public class HubOfflineTests
{
    [Fact]
    public async Task OfflineModeWorksFromTheCacheWithTheServerStopped()
    {
        using var bed = new HubTestBed();
        using (var online = new HubClient(bed.Options()))
            await online.ResolveClipRepoAsync(HubTestBed.RepoId);
        bed.Server.Stop();
        bed.Server.Requests.Clear();

        using var offline = new HubClient(bed.Options(offline: true));
        Assert.Equal(bed.SnapshotDir, await offline.ResolveClipRepoAsync(HubTestBed.RepoId));
        Assert.Equal(bed.SnapshotDir, await offline.ResolveClipRepoAsync(HubTestBed.RepoId, HubTestBed.Commit));
        Assert.Equal(bed.SnapshotDir, await offline.SnapshotDownloadAsync(HubTestBed.RepoId, "main", ["config.json", "vocab.json"]));
        Assert.Empty(bed.Server.Requests);
    }

    [Fact]
    public async Task UnreachableHubFallsBackToTheCachedRevision()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());
        await client.ResolveClipRepoAsync(HubTestBed.RepoId);
        bed.Server.Stop(); // connections are now refused

        Assert.Equal(bed.SnapshotDir, await client.ResolveClipRepoAsync(HubTestBed.RepoId));
    }

    [Fact]
    public async Task UnreachableHubWithoutCacheSaysBothThings()
    {
        using var bed = new HubTestBed();
        bed.Server.Stop();
        using var client = new HubClient(bed.Options());

        var e = await Assert.ThrowsAsync<HubCacheMissException>(() => client.ResolveClipRepoAsync(HubTestBed.RepoId));

        Assert.StartsWith($"hf:{HubTestBed.RepoId}@main: revision 'main' not in cache", e.Message);
        Assert.Contains("could not be reached", e.Message);
        Assert.IsType<HubUnreachableException>(e.InnerException);
    }

    [Fact]
    public async Task MissingFileOfflineGivesAClearError()
    {
        using var bed = new HubTestBed();
        using (var online = new HubClient(bed.Options()))
            await online.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["config.json", "vocab.json", "merges.txt"]);

        using var offline = new HubClient(bed.Options(offline: true));
        var e = await Assert.ThrowsAsync<HubCacheMissException>(
            () => offline.SnapshotDownloadAsync(HubTestBed.RepoId, "main", ["config.json", "model.safetensors"]));

        Assert.Equal($"hf:{HubTestBed.RepoId}@main: model.safetensors not in cache at {bed.SnapshotDir}; " +
            "run once online or unset HF_HUB_OFFLINE", e.Message);
        Assert.Equal(["model.safetensors"], e.Missing);
    }

    [Fact]
    public async Task OfflineClipResolutionListsEveryMissingFile()
    {
        using var bed = new HubTestBed();
        using (var online = new HubClient(bed.Options()))
            await online.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["config.json", "vocab.json"]);

        using var offline = new HubClient(bed.Options(offline: true));
        var e = await Assert.ThrowsAsync<HubCacheMissException>(() => offline.ResolveClipRepoAsync(HubTestBed.RepoId));

        Assert.Equal(["merges.txt", "preprocessor_config.json", "model.safetensors or pytorch_model.bin"], e.Missing);
        Assert.Contains("merges.txt, preprocessor_config.json, model.safetensors or pytorch_model.bin not in cache at", e.Message);
    }

    [Fact]
    public async Task BlobDeletedBehindTheSnapshotLinkCountsAsMissing()
    {
        using var bed = new HubTestBed();
        using (var online = new HubClient(bed.Options()))
            await online.ResolveClipRepoAsync(HubTestBed.RepoId);
        File.Delete(bed.BlobOf("model.safetensors"));

        using var offline = new HubClient(bed.Options(offline: true));
        var e = await Assert.ThrowsAsync<HubCacheMissException>(() => offline.ResolveClipRepoAsync(HubTestBed.RepoId));
        Assert.Equal(["model.safetensors or pytorch_model.bin"], e.Missing);
    }

    [Fact]
    public async Task UnknownRevisionOfflineNamesTheMissingRef()
    {
        using var bed = new HubTestBed();
        using var offline = new HubClient(bed.Options(offline: true));

        var e = await Assert.ThrowsAsync<HubCacheMissException>(
            () => offline.SnapshotDownloadAsync(HubTestBed.RepoId, "v2.0", ["config.json"]));

        Assert.Contains($"hf:{HubTestBed.RepoId}@v2.0: revision 'v2.0' not in cache", e.Message);
        Assert.Contains(Path.Combine("models--test-org--vit-tiny", "refs", "v2.0"), e.Message);
        Assert.Equal(["refs/v2.0"], e.Missing);
    }

    [Fact]
    public async Task GatedRepositoryWithoutTokenIsAClearAuthError()
    {
        using var bed = new HubTestBed();
        bed.Server.Repos[HubTestBed.RepoId].RequiredToken = "hf_secret";
        using var client = new HubClient(bed.Options());

        var e = await Assert.ThrowsAsync<HubAuthenticationException>(() => client.ResolveClipRepoAsync(HubTestBed.RepoId));

        Assert.Equal(401, e.StatusCode);
        Assert.Contains("gated", e.Message);
        Assert.Contains("HF_TOKEN", e.Message);
        Assert.Contains($"{bed.Server.Endpoint}/{HubTestBed.RepoId}", e.Message);
    }

    [Fact]
    public async Task WrongTokenIsReportedAsRefused()
    {
        using var bed = new HubTestBed();
        bed.Server.Repos[HubTestBed.RepoId].RequiredToken = "hf_secret";
        using var client = new HubClient(bed.Options(token: "hf_wrong"));

        var e = await Assert.ThrowsAsync<HubAuthenticationException>(() => client.ResolveClipRepoAsync(HubTestBed.RepoId));

        Assert.Equal(403, e.StatusCode);
        Assert.Contains("token sent (HF_TOKEN) was refused", e.Message);
    }

    [Fact]
    public async Task TokenIsSentAsBearerToTheHubButNotToTheCdn()
    {
        using var bed = new HubTestBed();
        bed.Server.Repos[HubTestBed.RepoId].RequiredToken = "hf_secret";
        using var client = new HubClient(bed.Options(token: "hf_secret"));

        var dir = await client.ResolveClipRepoAsync(HubTestBed.RepoId);

        Assert.Equal(bed.SnapshotDir, dir);
        Assert.All(bed.Server.Requests.Where(r => r.Port == bed.Server.HubPort), r => Assert.Equal("Bearer hf_secret", r.Authorization));
        Assert.All(bed.Server.Requests.Where(r => r.Port == bed.Server.CdnPort), r => Assert.Null(r.Authorization));
    }

    [Fact]
    public async Task MissingRepositoryAndRevisionAreNotFoundErrors()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());

        var repo = await Assert.ThrowsAsync<HubNotFoundException>(() => client.ResolveClipRepoAsync("test-org/nope"));
        Assert.Contains("repository not found", repo.Message);
        var rev = await Assert.ThrowsAsync<HubNotFoundException>(() => client.ResolveClipRepoAsync(HubTestBed.RepoId, "no-such-branch"));
        Assert.Contains("revision 'no-such-branch' not found", rev.Message);
    }

    [Fact]
    public async Task MissingRequiredFileOnlineIsANotFoundError()
    {
        using var bed = new HubTestBed();
        using var client = new HubClient(bed.Options());

        var e = await Assert.ThrowsAsync<HubNotFoundException>(
            () => client.SnapshotDownloadAsync(HubTestBed.RepoId, null, ["config.json", "weights.gguf"]));

        Assert.Contains("weights.gguf not found in the repository", e.Message);
        Assert.Contains(HubTestBed.Commit, e.Message);
    }

    [Fact]
    public async Task NotAClipRepositoryNamesWhatBothLayoutsLack()
    {
        using var bed = new HubTestBed();
        bed.Server.AddRepo("test-org/text-only", FakeHubServer.FakeCommit("t"), new() { ["config.json"] = "{}"u8.ToArray() });
        using var client = new HubClient(bed.Options());

        var e = await Assert.ThrowsAsync<HubNotFoundException>(() => client.ResolveClipRepoAsync("test-org/text-only"));

        Assert.Contains("Hugging Face layout lacks vocab.json", e.Message);
        Assert.Contains("OpenCLIP layout lacks open_clip_config.json", e.Message);
    }
}
