using ClipSharp.Models;
using ClipSharp.Search.Embedding;
using ClipSharp.Tensors;
using ClipSharp.Testing;
using Microsoft.Extensions.AI;

namespace ClipSharp.Web.Tests;

/// <summary>The Microsoft.Extensions.AI adapters give the model's own embeddings, normalised.</summary>
public class EmbeddingGeneratorTests
{
    private static readonly string ModelPath = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
    private static readonly Lazy<ClipPipeline> Pipeline = new(() => ClipPipeline.Load(ModelPath, new ComputeContext(2)));

    [Fact]
    public async Task TextGeneratorMatchesTheTextTower()
    {
        using IEmbeddingGenerator<string, Embedding<float>> text = new ClipTextEmbeddingGenerator(new ClipImageEmbedder(Pipeline.Value, "vit-tiny"));
        string[] texts = ["a photo of a cat", "a photo of a dog"];
        var generated = await text.GenerateAsync(texts);
        Assert.Equal(2, generated.Count);
        var direct = ClipModel.Normalized(Pipeline.Value.EncodeTexts(texts));
        for (int i = 0; i < 2; i++) Assert.Equal(direct.Span.Slice(i * 64, 64).ToArray(), generated[i].Vector.ToArray());
        Assert.NotEqual(generated[0].Vector.ToArray(), generated[1].Vector.ToArray());
        Assert.Equal("vit-tiny", generated[0].ModelId);
        var meta = text.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal(64, meta.DefaultModelDimensions);
        Assert.Equal("vit-tiny", meta.DefaultModelId);
        // Batches of 2 give the same vectors as one batch of 3.
        using var small = new ClipTextEmbeddingGenerator(new ClipImageEmbedder(Pipeline.Value, "vit-tiny")) { BatchSize = 2 };
        var three = await small.GenerateAsync([.. texts, "a diagram"]);
        Assert.Equal(3, three.Count);
        for (int i = 0; i < 2; i++) Assert.Equal(generated[i].Vector.ToArray(), three[i].Vector.ToArray());
        // The extension method for one value goes through the same path.
        Assert.Equal(generated[1].Vector.ToArray(), (await text.GenerateVectorAsync("a photo of a dog")).ToArray());
    }

    [Fact]
    public async Task ImageGeneratorMatchesTheImageTower()
    {
        using IEmbeddingGenerator<DataContent, Embedding<float>> images = new ClipImageEmbeddingGenerator(new ClipImageEmbedder(Pipeline.Value, "vit-tiny"));
        string[] files = [Fixtures.Path("vit-tiny", "images", "astronaut.png"), Fixtures.Path("vit-tiny", "images", "rocket.jpg")];
        var generated = await images.GenerateAsync(files.Select(f => new DataContent(File.ReadAllBytes(f), "image/png")));
        var expected = ClipModel.Normalized(Pipeline.Value.EncodeImageFiles(files, applyExifOrientation: true).Features!);
        for (int n = 0; n < 2; n++)
        {
            var got = generated[n].Vector.ToArray();
            for (int i = 0; i < 64; i++) Assert.Equal(expected.Span[n * 64 + i], got[i], 5);
            Assert.Equal(1.0, Math.Sqrt(got.Sum(v => (double)v * v)), 5);
        }
        await Assert.ThrowsAsync<InvalidDataException>(() => images.GenerateAsync([new DataContent("not an image"u8.ToArray(), "image/png")]));
    }
}
