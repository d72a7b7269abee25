using ClipSharp.Hub;

namespace ClipSharp.Tests;

public class HubKnownModelsTests
{
    [Theory]
    [InlineData("ViT-B-32", "openai/clip-vit-base-patch32")]
    [InlineData("vit-b-32", "openai/clip-vit-base-patch32")]
    [InlineData("ViT-B/32", "openai/clip-vit-base-patch32")]
    [InlineData("ViT-B-16", "openai/clip-vit-base-patch16")]
    [InlineData("ViT-L-14", "openai/clip-vit-large-patch14")]
    [InlineData("ViT-L-14-336", "openai/clip-vit-large-patch14-336")]
    [InlineData("ViT-L/14@336px", "openai/clip-vit-large-patch14-336")]
    [InlineData("RN50", "timm/resnet50_clip.openai")]
    [InlineData("ViT-H-14", "laion/CLIP-ViT-H-14-laion2B-s32B-b79K")]
    [InlineData("ViT-B-32/laion2b_s34b_b79k", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K")]
    [InlineData("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K")]
    public void ResolvesNamesToHubRepositories(string name, string hubId) => Assert.Equal(hubId, KnownModels.Resolve(name));

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => KnownModels.Resolve("ViT-Q-99"));
        Assert.Contains("ViT-Q-99", e.Message);
        Assert.Contains("ViT-B-32", e.Message);
        Assert.Contains("RN50", e.Message);
    }

    [Fact]
    public void OpenAiEntriesCarryTheirOriginalUrlAndSha256()
    {
        var rn50 = KnownModels.Find("RN50");
        Assert.Equal("https://openaipublic.azureedge.net/clip/models/afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762/RN50.pt", rn50.Url);
        Assert.Equal("afeb0e10f9e5a86da6080e35cf09123aca3b358a0c3e3b6c78a7b63bc04b6762", rn50.Sha256);
        foreach (var m in KnownModels.All.Where(m => m.Pretrained == "openai"))
        {
            Assert.NotNull(m.Url);
            Assert.Matches("^[0-9a-f]{64}$", m.Sha256);
        }
    }

    [Fact]
    public void RegistryIsConsistent()
    {
        var all = KnownModels.All;
        Assert.True(all.Count >= 15);
        Assert.Equal(all.Count, all.Select(m => m.Name).Distinct().Count());
        foreach (var arch in all.GroupBy(m => m.Architecture))
            Assert.Single(arch, m => m.IsDefault);
        foreach (var m in all)
        {
            Assert.InRange(m.ParamsMillions, 50, 3000);
            Assert.Equal(Math.Round(m.ParamsMillions * 4), m.ApproxDownloadMB);
            if (m.ImageNetZeroShotTop1 is { } top1) Assert.InRange(top1, 50, 90);
        }
        // spot values from OpenCLIP's results table
        Assert.Equal(63.32, KnownModels.Find("ViT-B-32").ImageNetZeroShotTop1);
        Assert.Equal(80.09, KnownModels.Find("ViT-bigG-14").ImageNetZeroShotTop1);
    }
}
