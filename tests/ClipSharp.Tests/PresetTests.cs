using ClipSharp.Models;

namespace ClipSharp.Tests;

public class PresetTests
{
    [Fact]
    public void AllPublishedArchitecturesArePresets()
    {
        string[] expected = ["RN101", "RN50", "RN50x16", "RN50x4", "RN50x64", "ViT-B-16", "ViT-B-32", "ViT-L-14", "ViT-L-14-336"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), ModelConfigs.PresetNames.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("ViT-B-32", 151_277_313)]   // the count OpenAI's CLIP notebook prints
    [InlineData("RN50", 102_007_137)]
    public void RandomModelHasThePublishedParameterCount(string preset, long count)
    {
        var model = ClipModel.Random(ModelConfigs.Preset(preset), seed: 1);
        long trainable = model.Parameters
            .Where(kv => !kv.Key.EndsWith("running_mean", StringComparison.Ordinal) && !kv.Key.EndsWith("running_var", StringComparison.Ordinal))
            .Sum(kv => (long)kv.Value.Length);
        Assert.Equal(count, trainable);
    }

    [Fact]
    public void PresetDerivedQuantitiesMatchTheReference()
    {
        var vit = (VitConfig)ModelConfigs.Preset("ViT-L-14-336").Vision;
        Assert.Equal((336, 14, 24, 1024, 16, 577), (vit.ImageSize, vit.PatchSize, vit.Grid, vit.Width, vit.Heads, vit.Tokens));
        var rn = (ResNetConfig)ModelConfigs.Preset("RN50x64").Vision;
        Assert.Equal((448, 128, 4096, 64, 14), (rn.ImageSize, rn.Width, rn.PoolWidth, rn.Heads, rn.PoolGrid));
    }

    [Fact]
    public void UnknownPresetNamesTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelConfigs.Preset("ViT-Q-99"));
        Assert.Contains("ViT-B-32", e.Message);
    }
}
