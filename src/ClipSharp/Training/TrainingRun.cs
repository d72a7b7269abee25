using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Tensors;
using ClipSharp.Text;

namespace ClipSharp.Training;

/// <summary>One logged step.</summary>
public sealed record StepMetrics(long Step, int Epoch, double Loss, double LearningRate, double GradNorm, double LogitScale,
    double SamplesPerSecond, double Seconds);

/// <summary>
/// Drives a <see cref="ClipTrainer"/> over a <see cref="IPairSource"/>: takes pairs in the source's
/// order (an epoch's last partial batch is dropped), decodes, augments and preprocesses images on worker
/// threads, tokenises captions (truncated to the context) and steps. The next batch is assembled in the
/// background while the current step computes. A pair whose image fails to decode is reported through
/// <see cref="Skipped"/> and replaced by the next one. <see cref="Progress"/> (step, epoch, pairs consumed,
/// seed) is all a checkpoint needs to resume exactly. With a trainer of several ranks, every rank runs a
/// TrainingRun over the same source with the same global batch size and prepares only its shard of each
/// batch (TrainingRun.Sharded.cs); Progress then describes the global batch order, so a checkpoint resumes
/// with any number of ranks.
/// </summary>
public sealed partial class TrainingRun : IDisposable
{
    private readonly IPairSource _source;
    private readonly Preprocessor _preprocessor;
    private readonly ITextTokenizer _tokenizer;
    private readonly ImageAugmentation? _augmentation;
    private readonly int _workers;
    private IEnumerator<PendingPair>? _reader;
    private (int Epoch, int Position) _readerAt;
    private Task<Prepared>? _next;

    public ClipTrainer Trainer { get; }
    /// <summary>Pairs per step over all ranks (the contrastive batch).</summary>
    public int BatchSize { get; }
    /// <summary>Pairs per step on this rank: BatchSize / the trainer's rank count.</summary>
    public int LocalBatchSize => BatchSize / Trainer.Collective.Size;
    public TrainingProgress Progress { get; private set; }

    /// <summary>Receives "NAME: reason" for each pair skipped because its image could not be read.</summary>
    public Action<string>? Skipped { get; init; }

    public TrainingRun(ClipTrainer trainer, IPairDataset data, Preprocessor preprocessor, ITextTokenizer tokenizer,
        int batchSize, ulong seed, TrainingProgress? resumeFrom = null, ImageAugmentation? augmentation = null)
        : this(trainer, new ShuffledPairs(data), preprocessor, tokenizer, batchSize, seed, resumeFrom, augmentation)
    {
    }

    public TrainingRun(ClipTrainer trainer, IPairSource source, Preprocessor preprocessor, ITextTokenizer tokenizer,
        int batchSize, ulong seed, TrainingProgress? resumeFrom = null, ImageAugmentation? augmentation = null)
    {
        if (batchSize < 1 || batchSize > source.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batch size must be in [1, {source.Count}] (the dataset size)");
        if (preprocessor.OutputSize != trainer.Model.ImageSize)
            throw new ArgumentException($"preprocessor makes {preprocessor.OutputSize}px images, the model expects {trainer.Model.ImageSize}px");
        (Trainer, _source, _preprocessor, _tokenizer, BatchSize, _augmentation) = (trainer, source, preprocessor, tokenizer, batchSize, augmentation);
        if (batchSize % trainer.Collective.Size != 0)
            throw new ArgumentException($"batch size {batchSize} is not divisible by the {trainer.Collective.Size} ranks of the job", nameof(batchSize));
        _workers = Math.Max(1, trainer.Context.Threads);
        Progress = resumeFrom ?? new TrainingProgress(0, 0, 0, seed);
        if (trainer.Collective.Size > 1) Progress = BroadcastProgress(Progress);   // rank 0's position (and seed) everywhere
    }

    /// <summary>Batches per epoch (fewer when pairs are skipped).</summary>
    public int StepsPerEpoch => _source.Count / BatchSize;

    /// <summary>Takes the next batch (assembled in the background since the last step) and one optimiser step.</summary>
    public StepMetrics Next()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        bool sharded = Trainer.Collective.Size > 1;
        Func<int, int, Prepared> prepare = sharded ? PrepareShard : Prepare;
        var batch = (_next ?? Task.FromResult(prepare(Progress.Epoch, Progress.Position))).GetAwaiter().GetResult();
        if (sharded) batch = Agree(batch);
        _next = Task.Run(() => prepare(batch.Epoch, batch.Position));
        var result = Trainer.Step(batch.Pixels, batch.Tokens);
        double seconds = started.Elapsed.TotalSeconds;
        Progress = Progress with { Step = Progress.Step + 1, Epoch = batch.Epoch, Position = batch.Position };
        return new StepMetrics(Progress.Step, batch.Epoch, result.Loss, result.LearningRate, result.GradNorm,
            Math.Exp(Trainer.Model.LogitScale.Span[0]), BatchSize / Math.Max(seconds, 1e-9), seconds);
    }

    public void Dispose()
    {
        try { _next?.Wait(); } catch (AggregateException) { }
        _reader?.Dispose();
    }

    /// <summary>A batch ready to step on, and the (epoch, position) just after its last pair.</summary>
    /// <remarks>For a shard, <see cref="Attempt"/> holds what agreeing with the other ranks needs (null when final).</remarks>
    private sealed record Prepared(Tensor Pixels, int[] Tokens, int Epoch, int Position, ShardAttempt? Attempt = null);

    /// <summary>Assembles the batch that starts at (epoch, position), moving to the next epoch when this one runs out.</summary>
    private Prepared Prepare(int epoch, int position)
    {
        int size = _preprocessor.OutputSize, l = Trainer.Model.ContextLength, per = 3 * size * size;
        var pixels = new Tensor(BatchSize, 3, size, size);
        var tokens = new int[BatchSize * l];
        var captions = new string[BatchSize];
        var storage = pixels.Storage;
        for (bool restarted = false; ; restarted = true)
        {
            int filled = 0;
            while (filled < BatchSize)
            {
                // Pull as many pairs as are missing, decode them in parallel, keep those that decode.
                var pending = new List<(PendingPair Pair, int Position)>();
                while (pending.Count < BatchSize - filled && TryRead(epoch, position, out var pair))
                    pending.Add((pair, position++));
                if (pending.Count == 0) break;
                var rows = new float[]?[pending.Count];
                Parallel.For(0, pending.Count, new ParallelOptions { MaxDegreeOfParallelism = _workers },
                    k => rows[k] = DecodeRow(pending[k].Pair, epoch, pending[k].Position, report: true));
                for (int k = 0; k < pending.Count; k++)
                {
                    if (rows[k] is null) continue;
                    rows[k].CopyTo(storage.AsSpan(filled * per, per));
                    captions[filled++] = pending[k].Pair.Caption;
                }
            }
            if (filled == BatchSize) break;
            if (restarted && filled == 0) throw new InvalidDataException("no readable training pairs: every image in an epoch failed to decode");
            (epoch, position) = (epoch + 1, 0);   // the epoch ran out: drop the partial batch
        }
        for (int i = 0; i < BatchSize; i++) _tokenizer.EncodeRow(captions[i], tokens.AsSpan(i * l, l), truncate: true, textIndex: i);
        return new Prepared(pixels, tokens, epoch, position);
    }

    /// <summary>
    /// The preprocessed (3·R·R) row of the pair at (epoch, at), augmented with the seed of its place in the
    /// data order; null (reported to <see cref="Skipped"/> when <paramref name="report"/>) when it cannot be read.
    /// </summary>
    private float[]? DecodeRow(PendingPair pair, int epoch, int at, bool report)
    {
        int size = _preprocessor.OutputSize;
        try
        {
            var image = pair.Decode();
            if (_augmentation is not null)
                image = _augmentation.Apply(image, size, DataOrder.Mix(Progress.Seed ^ DataOrder.Mix(((ulong)epoch << 32) | (uint)at)));
            var row = new float[3 * size * size];
            _preprocessor.Preprocess(image, row);
            return row;
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or IOException or UnauthorizedAccessException)
        {
            if (report) Skipped?.Invoke($"{pair.Name}: {e.Message}");
            return null;
        }
    }

    /// <summary>The pair at (epoch, position), reusing the open reader when it is already there.</summary>
    private bool TryRead(int epoch, int position, out PendingPair pair)
    {
        if (_reader is null || _readerAt != (epoch, position))
        {
            _reader?.Dispose();
            _reader = _source.Read(Progress.Seed, epoch, position).GetEnumerator();
        }
        bool more = _reader.MoveNext();
        pair = more ? _reader.Current : default;
        _readerAt = (epoch, position + 1);
        return more;
    }
}
