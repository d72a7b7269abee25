using ClipSharp.Pretrained;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

public class FromPretrainedTests
{
    [Fact]
    public void AnOpenClipSnapshotFolderLoadsLikeItsWeightsFileAndAMovedCopyKeepsItsModelId()
    {
        var file = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var dir = Directory.CreateTempSubdirectory("openclip-snapshot-").FullName;
        try
        {
            File.Copy(file, Path.Combine(dir, "open_clip_model.safetensors"));
            var options = new PipelineOptions { Context = new ComputeContext(2) };
            var fromFolder = ClipPipeline.FromPretrained(dir, options);   // used to throw "directory has no config.json"
            var fromFile = ClipPipeline.FromPretrained(file, options);
            string[] texts = ["a photo of a cat", "a diagram"];
            Assert.Equal(fromFile.EncodeTexts(texts).Span.ToArray(), fromFolder.EncodeTexts(texts).Span.ToArray());
            Assert.Equal(fromFile.ModelId, fromFolder.ModelId);   // same bytes, other place
            Assert.StartsWith("sha256:", fromFile.ModelId);
            Assert.NotEqual(fromFile.ModelId, ClipPipeline.FromPretrained(Fixtures.Path("rn-tiny", "openai", "model.safetensors"), options).ModelId);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ScoreIsTheModelsScaledCosineSimilarity()
    {
        var pipeline = ClipPipeline.FromPretrained(Fixtures.Path("vit-tiny", "hf"), new PipelineOptions { Context = new ComputeContext(2) });
        var images = pipeline.EncodeImageFiles([Fixtures.Path("vit-tiny", "images", "astronaut.png"), Fixtures.Path("vit-tiny", "images", "rocket.bmp")]).Features!;
        var texts = pipeline.EncodeTexts(["an astronaut", "a rocket", "a cat"]);
        var logits = pipeline.Score(images, texts);
        Assert.Equal([2, 3], logits.Shape);
        var (img, txt) = (ClipPipeline.Normalize(images), ClipPipeline.Normalize(texts));
        float expected = pipeline.Model.Scale * System.Numerics.Tensors.TensorPrimitives.Dot(img.Span[..img.Shape[1]], txt.Span.Slice(txt.Shape[1], txt.Shape[1]));
        Assert.Equal(expected, logits.Span[1], 4);
    }

    [Fact]
    public void AnUnknownNameIsAFileErrorNamingTheArgument()
    {
        var e = Assert.Throws<FileNotFoundException>(() => ClipPipeline.FromPretrained("no-such-model-name"));
        Assert.Contains("no-such-model-name", e.Message);
    }

    [Fact]
    public void KnownNamesAndHfIdsResolveToHubReferences()
    {
        Assert.Equal("main", ModelResolver.ToHubRef("ViT-B-32")!.Revision);
        Assert.Equal(ClipSharp.Hub.KnownModels.Resolve("ViT-B-32/laion2b_s34b_b79k"), ModelResolver.ToHubRef("ViT-B-32/laion2b_s34b_b79k@v1")!.RepoId);
        Assert.Equal("v1", ModelResolver.ToHubRef("ViT-B-32/laion2b_s34b_b79k@v1")!.Revision);
        Assert.Equal("org/name", ModelResolver.ToHubRef("hf:org/name")!.RepoId);
        Assert.Null(ModelResolver.ToHubRef("surely-not-a-model"));
    }
}
