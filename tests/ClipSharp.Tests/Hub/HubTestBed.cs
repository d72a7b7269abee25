using ClipSharp.Hub;
using ClipSharp.Testing;

namespace ClipSharp.Tests.Hub;

/// <summary>A fake hub serving the vit-tiny Hugging Face fixture as "test-org/vit-tiny", plus a temporary cache folder.</summary>
internal sealed class HubTestBed : IDisposable
{
    public const string RepoId = "test-org/vit-tiny";
    public static readonly string Commit = FakeHubServer.FakeCommit("vit-tiny-1");

    public FakeHubServer Server { get; } = new();
    public string CacheDir { get; } = Directory.CreateTempSubdirectory("clipsharp-hub-").FullName;
    public Dictionary<string, byte[]> Files { get; } = LoadFixture();

    public HubTestBed()
    {
        Server.AddRepo(RepoId, Commit, Files);
    }

    public static Dictionary<string, byte[]> LoadFixture()
    {
        var dir = Fixtures.Path("vit-tiny", "hf");
        var files = Directory.GetFiles(dir).ToDictionary(Path.GetFileName, File.ReadAllBytes)!;
        foreach (var required in new[] { "config.json", "model.safetensors", "vocab.json", "merges.txt", "preprocessor_config.json" })
            if (!files.ContainsKey(required)) throw new FileNotFoundException($"fixture {dir} lacks {required}");
        return files!;
    }

    public HubOptions Options(bool offline = false, string? token = null) => new()
    {
        Endpoint = Server.Endpoint,
        CacheDir = CacheDir,
        Offline = offline,
        Token = token,
        RetryDelay = TimeSpan.Zero,
        MetadataTimeout = TimeSpan.FromSeconds(5),
    };

    public string RepoFolder => Path.Combine(CacheDir, "models--test-org--vit-tiny");

    public string SnapshotDir => Path.Combine(RepoFolder, "snapshots", Commit);

    public string BlobOf(string file) => Path.Combine(RepoFolder, "blobs",
        FakeHubServer.IsLfs(file) ? FakeHubServer.Sha256(Files[file]) : FakeHubServer.GitSha1(Files[file]));

    public void Dispose()
    {
        Server.Dispose();
        try { Directory.Delete(CacheDir, recursive: true); } catch (IOException) { }
    }
}
