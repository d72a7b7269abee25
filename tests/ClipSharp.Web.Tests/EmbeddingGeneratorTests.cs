using ClipSharp.Search.Embedding;
using ClipSharp.Tensors;
using ClipSharp.Testing;
using Microsoft.Extensions.AI;

namespace ClipSharp.Web.Tests;

/// <summary>The Microsoft.Extensions.AI adapters give the model's own embeddings, normalised.</summary>
public class EmbeddingGeneratorTests
{
    private static readonly string ModelPath = Fixtures.Path("vit-tiny", "openai", "model.safetensors");

    [Fact]
    public async Task TextAndImageGeneratorsMatchThePipeline()
    {
        var pipeline = ClipPipeline.Load(ModelPath, new ComputeContext(2));
        var embedder = new ClipImageEmbedder(pipeline, "vit-tiny");
        IEmbeddingGenerator<string, Embedding<float>> text = new ClipTextEmbeddingGenerator(embedder);
        var generated = await text.GenerateAsync(["a photo of a cat", "a photo of a dog"]);
        Assert.Equal(2, generated.Count);
        var direct = Models.ClipModel.Normalized(pipeline.EncodeTexts(["a photo of a cat", "a photo of a dog"]));
        Assert.Equal(direct.Span[..64].ToArray(), generated[0].Vector.ToArray());
        Assert.Equal("vit-tiny", generated[0].ModelId);
        Assert.Equal(64, text.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);

        IEmbeddingGenerator<DataContent, Embedding<float>> images = new ClipImageEmbeddingGenerator(embedder);
        var png = File.ReadAllBytes(Fixtures.Path("vit-tiny", "images", "astronaut.png"));
        var img = await images.GenerateAsync([new DataContent(png, "image/png")]);
        var expected = Models.ClipModel.Normalized(pipeline.EncodeImageFiles([Fixtures.Path("vit-tiny", "images", "astronaut.png")], applyExifOrientation: true).Features!);
        var got = img[0].Vector.ToArray();
        for (int i = 0; i < 64; i++) Assert.Equal(expected.Span[i], got[i], 5);
        Assert.Equal(1.0, Math.Sqrt(got.Sum(v => (double)v * v)), 5);
    }
}
