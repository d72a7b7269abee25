using Microsoft.Extensions.AI;

namespace ClipSharp.Search.Embedding;

/// <summary>
/// CLIP text embeddings through .NET's AI abstractions: unit-norm vectors in the same space as
/// <see cref="ClipImageEmbeddingGenerator"/>'s, so text and images compare by dot product. Texts longer
/// than the model's context are truncated. One call at a time per embedder (the model is not re-entrant).
/// </summary>
public sealed class ClipTextEmbeddingGenerator(ClipImageEmbedder embedder) : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>Texts per forward pass.</summary>
    public int BatchSize { get; init; } = 64;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var texts = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        for (int start = 0; start < texts.Count; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var v in embedder.EmbedTexts(texts.GetRange(start, Math.Min(BatchSize, texts.Count - start))))
                result.Add(new Embedding<float>(v) { ModelId = embedder.ModelId, CreatedAt = DateTimeOffset.UtcNow });
        }
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("clipsharp", null, embedder.ModelId, embedder.Dimension)
        : null;

    public void Dispose() { }
}

/// <summary>CLIP image embeddings for encoded image files (PNG, JPEG, GIF, BMP) given as <see cref="DataContent"/>.</summary>
public sealed class ClipImageEmbeddingGenerator(ClipImageEmbedder embedder) : IEmbeddingGenerator<DataContent, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<DataContent> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var items = values.ToList();
        var prepared = items.Select((c, i) => embedder.Prepare(c.Data.ToArray(), c.Name ?? $"image {i}")).ToList();
        var vectors = embedder.EmbedBatch(prepared, cancellationToken);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var v in vectors)
            result.Add(new Embedding<float>(ClipPipeline.Normalize(v)) { ModelId = embedder.ModelId, CreatedAt = DateTimeOffset.UtcNow });
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("clipsharp", null, embedder.ModelId, embedder.Dimension)
        : null;

    public void Dispose() { }
}
