using ClipSharp.Distributed;
using ClipSharp.Tensors;

namespace ClipSharp.Training;

// Letters: P ranks, B pairs in the global batch, b = B / P pairs per rank; global slot s belongs to rank s / b.

public sealed partial class TrainingRun
{
    /// <summary>
    /// A rank's first try at a global batch: the B candidate pairs from the batch's start (every rank reads
    /// the same ones, cheaply: images decode lazily) and the rows this rank decoded for its slots (null where
    /// the image could not be read).
    /// </summary>
    private sealed record ShardAttempt(List<(PendingPair Pair, int Epoch, int Position)> Candidates, float[]?[] LocalRows);

    private TrainingProgress BroadcastProgress(TrainingProgress progress)
    {
        Span<long> fields = [progress.Step, progress.Epoch, progress.Position, (long)progress.Seed];
        Trainer.Collective.Broadcast(fields);
        return new TrainingProgress(fields[0], (int)fields[1], (int)fields[2], (ulong)fields[3]);
    }

    /// <summary>
    /// Background part of a sharded batch: reads the B candidates starting at (epoch, position), moving to
    /// the next epoch when this one has fewer than B left (the one-process run drops that partial batch too),
    /// and decodes this rank's slots [Rank·b, (Rank+1)·b) in parallel. No collective runs here.
    /// </summary>
    private Prepared PrepareShard(int epoch, int position)
    {
        int b = LocalBatchSize, first = Trainer.Collective.Rank * b;
        var candidates = new List<(PendingPair Pair, int Epoch, int Position)>(BatchSize);
        for (bool restarted = false; ; restarted = true)
        {
            candidates.Clear();
            for (int at = position; candidates.Count < BatchSize && TryRead(epoch, at, out var pair); at++) candidates.Add((pair, epoch, at));
            if (candidates.Count == BatchSize) break;
            if (restarted) throw new InvalidDataException($"an epoch of the training data has {candidates.Count} pairs, fewer than the global batch of {BatchSize}");
            (epoch, position) = (epoch + 1, 0);
        }
        var rows = new float[]?[b];
        Parallel.For(0, b, new ParallelOptions { MaxDegreeOfParallelism = _workers }, k =>
        {
            var (pair, e, at) = candidates[first + k];
            rows[k] = DecodeRow(pair, e, at, report: true);
        });
        return new Prepared(null!, null!, epoch, position + BatchSize, new ShardAttempt(candidates, rows));
    }

    /// <summary>
    /// Main-thread part: the ranks exchange which of their slots decoded (one all-gather of B flags). When all
    /// did, each rank's shard is what it decoded. Otherwise the global batch becomes the first B readable
    /// pairs from its start, exactly the pairs one process would take (<see cref="Replace"/>), and each rank
    /// takes its slots of that list, decoding any it has not decoded yet.
    /// </summary>
    private Prepared Agree(Prepared attempted)
    {
        var attempt = attempted.Attempt!;
        var collective = Trainer.Collective;
        int b = LocalBatchSize, first = collective.Rank * b;
        var readable = new int[BatchSize];
        collective.AllGather(attempt.LocalRows.Select(r => r is null ? 0 : 1).ToArray(), readable);

        var rows = new Dictionary<(int Epoch, int Position), float[]>();
        for (int k = 0; k < b; k++)
            if (attempt.LocalRows[k] is { } row) rows[(attempt.Candidates[first + k].Epoch, attempt.Candidates[first + k].Position)] = row;
        var chosen = attempt.Candidates.Where((_, s) => readable[s] == 1).ToList();
        var (epoch, position) = (attempted.Epoch, attempted.Position);
        if (chosen.Count < BatchSize) (epoch, position) = Replace(chosen, rows, epoch, position);

        int size = _preprocessor.OutputSize, l = Trainer.Model.ContextLength, per = 3 * size * size;
        var pixels = new Tensor(b, 3, size, size);   // (b, 3, R, R)
        var tokens = new int[b * l];
        for (int k = 0; k < b; k++)
        {
            var (pair, e, at) = chosen[first + k];
            var row = rows.TryGetValue((e, at), out var decoded) ? decoded
                : DecodeRow(pair, e, at, report: false)
                  ?? throw new InvalidDataException($"{pair.Name}: another rank read this image but rank {collective.Rank} cannot (do all hosts see the same data?)");
            row.CopyTo(pixels.Storage.AsSpan(k * per, per));
            _tokenizer.EncodeRow(pair.Caption, tokens.AsSpan(k * l, l), truncate: true, textIndex: first + k);
        }
        return new Prepared(pixels, tokens, epoch, position);
    }

    /// <summary>
    /// After a failed decode on some rank: every rank decodes the following pairs itself (so all reach the same
    /// list without another exchange) until <paramref name="chosen"/> holds B readable pairs, dropping the
    /// partial batch and moving to the next epoch when this one runs out. Only rank 0 reports these skips.
    /// Returns the (epoch, position) just after the batch.
    /// </summary>
    private (int Epoch, int Position) Replace(List<(PendingPair Pair, int Epoch, int Position)> chosen,
        Dictionary<(int Epoch, int Position), float[]> rows, int epoch, int position)
    {
        bool restarted = false;
        while (chosen.Count < BatchSize)
        {
            if (TryRead(epoch, position, out var pair))
            {
                if (DecodeRow(pair, epoch, position, report: Trainer.Collective.Rank == 0) is { } row)
                {
                    chosen.Add((pair, epoch, position));
                    rows[(epoch, position)] = row;
                }
                position++;
                continue;
            }
            if (restarted && chosen.Count == 0) throw new InvalidDataException("no readable training pairs: every image in an epoch failed to decode");
            chosen.Clear();
            (epoch, position, restarted) = (epoch + 1, 0, true);
        }
        return (epoch, position);
    }
}
