using ClipSharp.Tensors;

namespace ClipSharp;

/// <summary>An image that could not be used, and why.</summary>
public sealed record ImageFailure(string Path, string Reason);

/// <summary>Features of the images that could be read, in input order, and the ones that could not.</summary>
public sealed record ImageBatchResult(Tensor? Features, IReadOnlyList<string> Paths, IReadOnlyList<ImageFailure> Failures);

public sealed partial class ClipPipeline
{
    /// <summary>
    /// Decodes, preprocesses and encodes image files in batches. A corrupt or unsupported file is
    /// recorded in <see cref="ImageBatchResult.Failures"/> and skipped; the rest are encoded.
    /// </summary>
    public ImageBatchResult EncodeImageFiles(IReadOnlyList<string> paths, bool applyExifOrientation = false, int batchSize = 32,
        IProgress<int>? progress = null) =>
        throw new NotSupportedException("image files are not supported yet: the image decoders have not landed; use pixel tensors");
}
