using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Tensors;

namespace ClipSharp;

/// <summary>One streamed result: the image's path and its unnormalised embedding, or why it was skipped.</summary>
public sealed record ImageEmbedding(string Path, float[]? Embedding, string? Error);

public sealed partial class ClipPipeline
{
    /// <summary>
    /// Streams embeddings for a sequence of image files. Decoding and preprocessing run on
    /// <paramref name="decodeThreads"/> background workers feeding a bounded queue, so the encoder
    /// (which uses the pipeline's context) keeps working while the next batch is decoded. Results
    /// come back in input order; unreadable files come back with <see cref="ImageEmbedding.Error"/> set.
    /// </summary>
    public async IAsyncEnumerable<ImageEmbedding> EmbedImagesAsync(IAsyncEnumerable<string> paths, int batchSize = 32,
        int decodeThreads = 1, bool applyExifOrientation = true, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Work items keep input order: each is a task that decodes one file.
        var queue = Channel.CreateBounded<(string Path, Task<PreparedFile> Prepared)>(new BoundedChannelOptions(2 * batchSize) { SingleReader = true });
        using var gate = new SemaphoreSlim(Math.Max(1, decodeThreads));
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var path in paths.WithCancellation(cancellationToken))
                {
                    await gate.WaitAsync(cancellationToken);
                    var work = Task.Run(() =>
                    {
                        try { return PrepareFile(path, applyExifOrientation); }
                        finally { gate.Release(); }
                    }, cancellationToken);
                    await queue.Writer.WriteAsync((path, work), cancellationToken);
                }
                queue.Writer.Complete();
            }
            catch (Exception e) { queue.Writer.Complete(e); }
        }, cancellationToken);

        var pending = new List<PreparedFile>(batchSize);
        await foreach (var (_, work) in queue.Reader.ReadAllAsync(cancellationToken))
        {
            pending.Add(await work);
            if (pending.Count == batchSize)
            {
                foreach (var item in EncodePrepared(pending)) yield return item;
                pending.Clear();
            }
        }
        if (pending.Count > 0)
            foreach (var item in EncodePrepared(pending)) yield return item;
        await producer;
    }
}
