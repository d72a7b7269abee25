using ClipSharp.Distributed;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Training;

// Letters: P ranks, n pairs per rank, N = P·n pairs in the global batch, E embed dim, L context length.

public sealed partial class ClipTrainer
{
    /// <summary>Gradients are summed across ranks in buckets of this many floats (larger tensors go alone, in place).</summary>
    private const int BucketFloats = 1 << 22;

    private float[]? _bucket;

    /// <summary>Every rank's token rows of the last data-parallel batch (N·L), for the sparse token-embedding update.</summary>
    private int[]? _globalTokens;

    /// <summary>
    /// Makes every rank's state rank 0's: weights (BatchNorm statistics included), AdamW moments and step
    /// count, and SigLIP's bias. Collective: call on every rank after building (or resuming) the trainer.
    /// </summary>
    public void SynchronizeFromRoot()
    {
        if (Collective.Size == 1) return;
        foreach (var (_, value) in Model.Parameters) Collective.Broadcast(value.Span);
        foreach (var p in Optimizer.Parameters)
        {
            Collective.Broadcast(p.ExpAvg.Span);
            Collective.Broadcast(p.ExpAvgSq.Span);
        }
        if (LogitBias is { } bias) Collective.Broadcast(bias.Span);
        Optimizer.RestoreStepCount(Collective.Broadcast(Optimizer.StepCount));
    }

    /// <summary>
    /// One data-parallel gradient computation, open_clip's gather_with_grad semantics on gradient caching's
    /// structure: (1) embed this rank's n pairs (chunk by chunk on a values-only tape, or with one chunk on
    /// tapes kept for step 3); (2) all-gather the embeddings into the global (N, E) matrices, compute the loss
    /// over the whole global batch (the same on every rank) and its gradient w.r.t. the gathered embeddings,
    /// and keep this rank's rows of it; (3) backpropagate those rows through this rank's towers (recomputing
    /// each chunk when chunked); (4) sum the parameter gradients over the ranks. logit_scale and SigLIP's
    /// bias get the loss's gradient on every rank, so only rank 0's copy enters the sum.
    /// </summary>
    private double DataParallel(Tensor pixels, int[] tokens, int n, int chunks)
    {
        int l = Model.ContextLength, e = Model.EmbedDim, ranks = Collective.Size, rank = Collective.Rank;
        var imageLocal = new Tensor(n, e);   // (n, E)
        var textLocal = new Tensor(n, e);
        Tape? imageTape = null, textTape = null;
        Variable? imageOut = null, textOut = null;
        var bounds = ChunkBounds(n, chunks);
        if (chunks == 1)
        {
            imageTape = new Tape(Context, Gradients);
            textTape = new Tape(Context, Gradients);
            imageOut = Model.EncodeImage(imageTape, pixels);
            textOut = Model.EncodeText(textTape, tokens, n);
            imageOut.Data.CopyTo(imageLocal.Span);
            textOut.Data.CopyTo(textLocal.Span);
        }
        else
        {
            var values = new Tape(Context, Gradients, record: false);
            for (int k = 0; k < chunks; k++)
            {
                int start = bounds[k], count = bounds[k + 1] - start;
                Model.EncodeImage(values, pixels.Slice(start, count).Contiguous()).Data.CopyTo(imageLocal.Span.Slice(start * e, count * e));
                Model.EncodeText(values, tokens.AsSpan(start * l, count * l), count).Data.CopyTo(textLocal.Span.Slice(start * e, count * e));
            }
        }

        var imageAll = new Tensor(ranks * n, e);   // (N, E), rank r's rows at [r·n, (r+1)·n)
        var textAll = new Tensor(ranks * n, e);
        Collective.AllGather(imageLocal.Span, imageAll.Span);
        Collective.AllGather(textLocal.Span, textAll.Span);
        var lossTape = new Tape(Context, Gradients);
        var image = lossTape.Leaf(imageAll);
        var text = lossTape.Leaf(textAll);
        var loss = LossOf(lossTape, image, text);
        lossTape.Backward(loss);
        if (rank != 0)
        {
            if (Gradients.TryGet(Model.LogitScale, out var dScale)) dScale.Span.Clear();
            if (LogitBias is not null && Gradients.TryGet(LogitBias, out var dBias)) dBias.Span.Clear();
        }
        var dImage = image.Grad is { } gi ? gi.Slice(rank * n, n) : new Tensor(n, e);   // (n, E): this rank's rows
        var dText = text.Grad is { } gt ? gt.Slice(rank * n, n) : new Tensor(n, e);

        if (chunks == 1)
        {
            if (imageOut!.RequiresGrad) imageTape!.Backward(imageOut, dImage);
            if (textOut!.RequiresGrad) textTape!.Backward(textOut, dText);
        }
        else BackwardChunks(pixels, tokens, bounds, dImage, dText);

        if (_sparseTokenEmbedding)
        {
            _globalTokens = new int[ranks * n * l];
            Collective.AllGather(tokens, _globalTokens);
        }
        SumGradients();
        return loss.Data[0];
    }

    /// <summary>
    /// Σ over ranks of every gradient, in the registration order (identical on every rank). Small tensors
    /// travel together in one bucket; of the token embedding only the rows some rank looked up travel
    /// (the others are zero everywhere).
    /// </summary>
    private void SumGradients()
    {
        var bucket = _bucket ??= new float[BucketFloats];
        var queued = new List<(Tensor Grad, int Offset, int Length)>();
        int used = 0;
        foreach (var parameter in Gradients.Parameters)
        {
            var grad = Gradients[parameter];
            if (_sparseTokenEmbedding && ReferenceEquals(parameter, Model.TokenEmbedding))
            {
                int width = parameter.Shape[1];
                foreach (int row in _globalTokens!.Distinct().Order()) Add(grad, row * width, width);
            }
            else Add(grad, 0, grad.Length);
        }
        Flush();

        void Add(Tensor grad, int offset, int length)
        {
            if (length >= BucketFloats)
            {
                Collective.AllReduceSum(grad.Span.Slice(offset, length));
                return;
            }
            if (used + length > BucketFloats) Flush();
            grad.Span.Slice(offset, length).CopyTo(bucket.AsSpan(used));
            queued.Add((grad, offset, length));
            used += length;
        }

        void Flush()
        {
            if (used == 0) return;
            Collective.AllReduceSum(bucket.AsSpan(0, used));
            int at = 0;
            foreach (var (grad, offset, length) in queued)
            {
                bucket.AsSpan(at, length).CopyTo(grad.Span.Slice(offset, length));
                at += length;
            }
            queued.Clear();
            used = 0;
        }
    }
}
