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
        var pre = new Preprocessor(ImageConfig);
        int len = pre.OutputLength, r = pre.OutputSize;
        // Work items keep input order: each is a task that decodes one file.
        var queue = Channel.CreateBounded<(string Path, Task<float[]> Pixels)>(new BoundedChannelOptions(2 * batchSize) { SingleReader = true });
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
                        try
                        {
                            var pixels = new float[len];
                            Prepare(File.ReadAllBytes(path), path, applyExifOrientation, pre, pixels);
                            return pixels;
                        }
                        finally { gate.Release(); }
                    }, cancellationToken);
                    await queue.Writer.WriteAsync((path, work), cancellationToken);
                }
                queue.Writer.Complete();
            }
            catch (Exception e) { queue.Writer.Complete(e); }
        }, cancellationToken);

        var pending = new List<(string Path, float[]? Pixels, string? Error)>(batchSize);
        await foreach (var (path, work) in queue.Reader.ReadAllAsync(cancellationToken))
        {
            try { pending.Add((path, await work, null)); }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException)
            {
                pending.Add((path, null, e.Message));
            }
            if (pending.Count == batchSize)
            {
                foreach (var item in EncodePending(pending, r, len)) yield return item;
                pending.Clear();
            }
        }
        if (pending.Count > 0)
            foreach (var item in EncodePending(pending, r, len)) yield return item;
        await producer;
    }

    private IEnumerable<ImageEmbedding> EncodePending(List<(string Path, float[]? Pixels, string? Error)> pending, int r, int len)
    {
        var good = pending.Where(p => p.Pixels is not null).ToArray();
        float[][] features = [];
        if (good.Length > 0)
        {
            var batch = new Tensor(good.Length, 3, r, r);
            for (int i = 0; i < good.Length; i++) good[i].Pixels.AsSpan().CopyTo(batch.Span.Slice(i * len, len));
            var f = Encoder.EncodeImage(Context, batch);
            int e = f.Shape[1];
            features = Enumerable.Range(0, good.Length).Select(i => f.Span.Slice(i * e, e).ToArray()).ToArray();
        }
        int next = 0;
        return pending.Select(p => p.Pixels is null
            ? new ImageEmbedding(p.Path, null, p.Error)
            : new ImageEmbedding(p.Path, features[next++], null)).ToArray();
    }
}
