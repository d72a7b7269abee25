using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Tensors;
using ClipSharp.Text;

namespace ClipSharp.Training;

/// <summary>One logged step.</summary>
public sealed record StepMetrics(long Step, int Epoch, double Loss, double LearningRate, double GradNorm, double LogitScale,
    double SamplesPerSecond, double Seconds);

/// <summary>
/// Drives a <see cref="ClipTrainer"/> over a dataset: visits samples in <see cref="DataOrder"/>
/// (a fresh permutation each epoch, the last partial batch dropped), preprocesses images and tokenises
/// captions (truncated to the context), and steps. Its <see cref="Progress"/> is all a checkpoint
/// needs to resume exactly.
/// </summary>
public sealed class TrainingRun
{
    private readonly IPairDataset _data;
    private readonly Preprocessor _preprocessor;
    private readonly ClipTokenizer _tokenizer;
    private int[] _order;

    public ClipTrainer Trainer { get; }
    public int BatchSize { get; }
    public TrainingProgress Progress { get; private set; }

    public TrainingRun(ClipTrainer trainer, IPairDataset data, Preprocessor preprocessor, ClipTokenizer tokenizer,
        int batchSize, ulong seed, TrainingProgress? resumeFrom = null)
    {
        if (batchSize < 1 || batchSize > data.Count)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batch size must be in [1, {data.Count}] (the dataset size)");
        if (preprocessor.OutputSize != trainer.Model.Config.Vision.ImageSize)
            throw new ArgumentException($"preprocessor makes {preprocessor.OutputSize}px images, the model expects {trainer.Model.Config.Vision.ImageSize}px");
        (Trainer, _data, _preprocessor, _tokenizer, BatchSize) = (trainer, data, preprocessor, tokenizer, batchSize);
        Progress = resumeFrom ?? new TrainingProgress(0, 0, 0, seed);
        _order = DataOrder.Permutation(data.Count, Progress.Seed, Progress.Epoch);
    }

    /// <summary>Batches per epoch.</summary>
    public int StepsPerEpoch => _data.Count / BatchSize;

    /// <summary>Assembles the next batch and takes one optimiser step.</summary>
    public StepMetrics Next()
    {
        var (epoch, position) = (Progress.Epoch, Progress.Position);
        if (position + BatchSize > _data.Count)
        {
            (epoch, position) = (epoch + 1, 0);
            _order = DataOrder.Permutation(_data.Count, Progress.Seed, epoch);
        }
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (pixels, tokens) = Batch(epoch, position);
        var result = Trainer.Step(pixels, tokens);
        double seconds = started.Elapsed.TotalSeconds;
        Progress = Progress with { Step = Progress.Step + 1, Epoch = epoch, Position = position + BatchSize };
        return new StepMetrics(Progress.Step, epoch, result.Loss, result.LearningRate, result.GradNorm,
            Trainer.Model.Scale, BatchSize / Math.Max(seconds, 1e-9), seconds);
    }

    private (Tensor Pixels, int[] Tokens) Batch(int epoch, int position)
    {
        int size = _preprocessor.OutputSize, l = Trainer.Model.Config.Text.ContextLength, per = 3 * size * size;
        var pixels = new Tensor(BatchSize, 3, size, size);
        var tokens = new int[BatchSize * l];
        var captions = new string[BatchSize];
        var storage = pixels.Storage;
        Trainer.Context.For(BatchSize, i =>
        {
            var (image, caption) = _data.Get(_order[position + i], epoch);
            _preprocessor.Preprocess(image, storage.AsSpan(i * per, per));
            captions[i] = caption;
        });
        for (int i = 0; i < BatchSize; i++) _tokenizer.EncodeRow(captions[i], tokens.AsSpan(i * l, l), truncate: true, textIndex: i);
        return (pixels, tokens);
    }
}
