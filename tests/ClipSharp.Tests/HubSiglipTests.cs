using ClipSharp.Hub;
using ClipSharp.Models;
using ClipSharp.Models.Siglip;
using ClipSharp.Pretrained;
using ClipSharp.Tensors;
using ClipSharp.Tests.Hub;

namespace ClipSharp.Tests;

/// <summary>
/// `hf:google/siglip2-…` through the hub resolver, against the local fake hub: the SigLIP FixRes fixture served under
/// a SigLIP 2 repository name resolves to a Hugging Face SigLIP snapshot (SentencePiece model, no CLIP vocab files),
/// loads as a SigLIP pipeline that embeds exactly as the fixture directory does, and works offline from the cache.
/// </summary>
public class HubSiglipTests
{
    private const string RepoId = "google/siglip2-base-patch16-224";
    private static readonly string Commit = FakeHubServer.FakeCommit("siglip-fixres-1");

    [Fact]
    public void SiglipRepositoryResolvesDownloadsItsLayoutAndLoadsOnlineAndOffline()
    {
        var fixture = SiglipParityTests.Dir("siglip-fixres");
        string[] served = ["config.json", "model.safetensors", "preprocessor_config.json", "spiece.model", "tokenizer_config.json"];
        var files = served.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(fixture, f)));
        using var server = new FakeHubServer();
        server.AddRepo(RepoId, Commit, files);
        var cache = Directory.CreateTempSubdirectory("clipsharp-hub-siglip-").FullName;
        try
        {
            HubOptions Options(bool offline) => new()
            {
                Endpoint = server.Endpoint, CacheDir = cache, Offline = offline, RetryDelay = TimeSpan.Zero, MetadataTimeout = TimeSpan.FromSeconds(5),
            };
            var ctx = new ComputeContext(1);
            var pipeline = ClipPipeline.FromPretrained("hf:" + RepoId, new PipelineOptions { Hub = Options(false), Context = ctx });
            Assert.IsType<SiglipModel>(pipeline.Encoder);
            Assert.Equal(ScoreKind.Sigmoid, pipeline.Scoring);

            var snapshot = Path.Combine(cache, "models--google--siglip2-base-patch16-224", "snapshots", Commit);
            Assert.Equal(served.Order(), Directory.GetFiles(snapshot).Select(Path.GetFileName).Order());

            // The same embeddings as the fixture folder itself.
            var local = ClipPipeline.FromPretrained(fixture, new PipelineOptions { Context = ctx });
            var image = Path.Combine(SiglipParityTests.Dir("images"), "rocket.png");
            string[] texts = ["a photo of a rocket", "Ein Foto einer Rakete"];
            var logits = pipeline.Score(pipeline.EncodeImageFiles([image]).Features!, pipeline.EncodeTexts(texts));
            var expected = local.Score(local.EncodeImageFiles([image]).Features!, local.EncodeTexts(texts));
            Assert.Equal(expected.Span.ToArray(), logits.Span.ToArray());

            // Offline: the cached snapshot, with no request to the hub.
            int before = server.Requests.Count;
            var offline = ClipPipeline.FromPretrained("hf:" + RepoId, new PipelineOptions { Hub = Options(true), Context = ctx });
            Assert.IsType<SiglipModel>(offline.Encoder);
            Assert.Equal(before, server.Requests.Count);
            Assert.Equal(pipeline.ModelId, offline.ModelId);
        }
        finally { Directory.Delete(cache, recursive: true); }
    }

    [Fact]
    public void ARepositoryWithNeitherLayoutNamesWhatEachLacks()
    {
        using var server = new FakeHubServer();
        server.AddRepo("google/not-a-model", FakeHubServer.FakeCommit("empty"), new() { ["README.md"] = "hello"u8.ToArray() });
        var cache = Directory.CreateTempSubdirectory("clipsharp-hub-siglip-").FullName;
        try
        {
            var options = new HubOptions { Endpoint = server.Endpoint, CacheDir = cache, RetryDelay = TimeSpan.Zero, MetadataTimeout = TimeSpan.FromSeconds(5) };
            var e = Assert.ThrowsAny<Exception>(() => ModelResolver.Resolve("hf:google/not-a-model", options));
            Assert.Contains("SigLIP layout lacks", e.Message);
            Assert.Contains("spiece.model", e.Message);
        }
        finally { Directory.Delete(cache, recursive: true); }
    }
}
