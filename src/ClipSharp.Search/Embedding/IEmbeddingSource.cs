namespace ClipSharp.Search.Embedding;

/// <summary>
/// An image decoded and preprocessed into model input, produced on a worker thread by
/// <see cref="IEmbeddingSource.Prepare"/> and consumed by <see cref="IEmbeddingSource.EmbedBatch"/>.
/// </summary>
/// <param name="Width">Width of the decoded image before preprocessing (stored in the index).</param>
/// <param name="Height">Height of the decoded image before preprocessing.</param>
/// <param name="Data">Model input; its layout is private to the source (CLIP: (3, R, R) float CHW; SigLIP 2 NaFlex: patches).</param>
/// <param name="GridHeight">NaFlex only: the patch grid's rows (0 for fixed-resolution models).</param>
/// <param name="GridWidth">NaFlex only: the patch grid's columns.</param>
public sealed record PreparedImage(int Width, int Height, float[] Data, int GridHeight = 0, int GridWidth = 0);

/// <summary>
/// What folder indexing needs from an image model, split in two stages so decoding pipelines with
/// encoding: <see cref="Prepare"/> runs concurrently on several worker threads, <see cref="EmbedBatch"/>
/// is called by one thread at a time (it may use its own thread pool internally).
/// </summary>
public interface IEmbeddingSource
{
    /// <summary>Identifies the model and its weights, e.g. "ViT-B-32/openai". Stored with every embedding.</summary>
    string ModelId { get; }

    /// <summary>Length E of the vectors <see cref="EmbedBatch"/> returns.</summary>
    int Dimension { get; }

    /// <summary>
    /// Decode and preprocess one image file. Thread-safe. Throws <see cref="InvalidDataException"/>
    /// for a corrupt file and <see cref="NotSupportedException"/> for a format it does not handle;
    /// the indexer records either as a failure for that file and continues.
    /// </summary>
    /// <param name="contents">The whole file.</param>
    /// <param name="path">The file's path, for error messages and format hints.</param>
    PreparedImage Prepare(byte[] contents, string path);

    /// <summary>
    /// Encode a batch: returns one vector of length <see cref="Dimension"/> per image, in order.
    /// Vectors need not be normalised (the index L2-normalises them). Exceptions here abort the sync
    /// (batches already committed stay).
    /// </summary>
    float[][] EmbedBatch(IReadOnlyList<PreparedImage> images, CancellationToken cancellationToken);
}
