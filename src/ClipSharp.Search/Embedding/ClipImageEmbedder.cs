using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models;
using ClipSharp.Tensors;

namespace ClipSharp.Search.Embedding;

/// <summary>
/// Folder indexing with a CLIP model: files are decoded with EXIF orientation applied and
/// preprocessed on the indexer's worker threads; batches are encoded by the image tower.
/// </summary>
public sealed class ClipImageEmbedder : IEmbeddingSource
{
    private readonly ClipPipeline _pipeline;

    /// <param name="pipeline">The model, its preprocessing and its compute context.</param>
    /// <param name="modelId">
    /// Recorded with every embedding; an index refuses to mix models. Default: the pipeline's
    /// <see cref="ClipPipeline.ModelId"/> (the weights' content hash, so a moved checkpoint keeps its index).
    /// </param>
    public ClipImageEmbedder(ClipPipeline pipeline, string? modelId = null)
    {
        _pipeline = pipeline;
        ModelId = modelId ?? pipeline.ModelId;
    }

    /// <summary>The pipeline the embeddings come from.</summary>
    public ClipPipeline Pipeline => _pipeline;

    public string ModelId { get; }

    public int Dimension => _pipeline.Encoder.EmbedDim;

    public PreparedImage Prepare(byte[] contents, string path) => Prepare(contents, path, null);

    /// <summary>
    /// Decodes (EXIF orientation applied) and preprocesses an image within <paramref name="limits"/>
    /// (null: <see cref="ImageDecodeLimits.Default"/>); needs no model, so it may run beside a forward pass.
    /// </summary>
    public PreparedImage Prepare(byte[] contents, string path, ImageDecodeLimits? limits)
    {
        var p = _pipeline.PrepareImage(contents, path, applyExifOrientation: true, limits);
        return new PreparedImage(p.Width, p.Height, p.Data, p.GridHeight, p.GridWidth);
    }

    public float[][] EmbedBatch(IReadOnlyList<PreparedImage> images, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _pipeline.EncodePixels(images.Select(i => new ImagePixels(i.Data, i.Width, i.Height, i.GridHeight, i.GridWidth)).ToArray());
    }

    /// <summary>A text query's embedding (normalised); texts over the context length are truncated.</summary>
    public float[] EmbedText(string text) => EmbedTexts([text])[0];

    /// <summary>Normalised embeddings of several texts in one forward pass; over-long texts are truncated.</summary>
    public float[][] EmbedTexts(IReadOnlyList<string> texts)
    {
        if (texts.Count == 0) return [];
        var features = ClipModel.Normalized(_pipeline.EncodeTexts(texts, truncate: true));
        int e = features.Shape[1];
        return Enumerable.Range(0, texts.Count).Select(i => features.Span.Slice(i * e, e).ToArray()).ToArray();
    }

    /// <summary>An image file's embedding (normalised), for image-to-image search.</summary>
    public float[] EmbedImageFile(string path) => EmbedImage(File.ReadAllBytes(path), path);

    /// <summary>
    /// The normalised embedding of an encoded image (PNG, JPEG, GIF, BMP), EXIF orientation applied.
    /// Throws <see cref="InvalidDataException"/> (message starting with <paramref name="nameForErrors"/>)
    /// for data that is not a supported image.
    /// </summary>
    public float[] EmbedImage(byte[] contents, string nameForErrors) => EmbedPrepared(Prepare(contents, nameForErrors));

    /// <summary>The normalised embedding of one prepared image (a forward pass of the image tower).</summary>
    public float[] EmbedPrepared(PreparedImage prepared)
    {
        var f = EmbedBatch([prepared], CancellationToken.None)[0];
        return ClipPipeline.Normalize(f);
    }
}
