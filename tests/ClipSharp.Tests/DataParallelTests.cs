using ClipSharp.Distributed;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;
using ClipSharp.Training;

namespace ClipSharp.Tests;

/// <summary>
/// Data-parallel training with ranks as threads (<see cref="InProcessJob"/>): P ranks on shards of a global
/// batch follow one process on the whole batch — losses, data position and parameters — across epochs,
/// with unreadable images that land on one rank's shard, the sparse token-embedding update, SigLIP, chunks
/// and gradient clipping. (The same code under mpirun: ClipSharp.Cli.Tests.MpiTrainTests.)
/// </summary>
public class DataParallelTests
{
    private static readonly ClipConfig Tiny = new(16, new VitConfig(32, 16, 32, 1, 1), new TextConfig(77, 49408, 32, 1, 1));

    /// <summary>count synthetic pairs; the images at <paramref name="unreadable"/> fail to decode.</summary>
    private static LabelledPairDataset Synthetic(int count, params int[] unreadable)
    {
        var rng = new Random(5);
        var frames = Enumerable.Range(0, count).Select(_ =>
        {
            var px = new byte[40 * 36 * 3];
            rng.NextBytes(px);
            return new ImageFrame(40, 36, PixelMode.Rgb, px);
        }).ToArray();
        return new LabelledPairDataset(count,
            i => unreadable.Contains(i) ? throw new InvalidDataException($"image {i} is corrupt") : frames[i],
            i => i % 4, ["cat", "dog", "shoe", "bag"], ["a photo of a {}.", "a {} in the wild."]);
    }

    private sealed record Outcome(double[] Losses, TrainingProgress Progress, IReadOnlyList<KeyValuePair<string, Tensor>> Parameters, int Skipped);

    private static Outcome Train(ICollective job, TrainingOptions options, int batch, int steps, int[] unreadable, int modelSeed = 11)
    {
        var model = ClipModel.Random(Tiny, seed: modelSeed);
        var trainer = new ClipTrainer(model, options, new ComputeContext(1), job);
        if (options.Loss == LossKind.SigLip) trainer.InitialiseSigLipScale();
        trainer.SynchronizeFromRoot();
        int skipped = 0;
        using var run = new TrainingRun(trainer, Synthetic(14, unreadable), new Preprocessor(PreprocessConfig.Clip(32)), ClipTokenizer.Default,
            batch, seed: 42) { Skipped = _ => Interlocked.Increment(ref skipped) };
        var losses = Enumerable.Range(0, steps).Select(_ => run.Next().Loss).ToArray();
        return new Outcome(losses, run.Progress, model.Parameters, skipped);
    }

    private static void AssertSame(Outcome one, Outcome rank, string what)
    {
        Assert.Equal(one.Progress, rank.Progress);
        for (int i = 0; i < one.Losses.Length; i++)
            Assert.True(Math.Abs(one.Losses[i] - rank.Losses[i]) <= 1e-5 * Math.Abs(one.Losses[i]), $"{what}: step {i + 1} loss {rank.Losses[i]:R} vs {one.Losses[i]:R}");
        for (int p = 0; p < one.Parameters.Count; p++)
        {
            var (name, expected) = one.Parameters[p];
            var (x, y) = (expected.Span.ToArray(), rank.Parameters[p].Value.Span.ToArray());
            var kept = Enumerable.Range(0, x.Length).Where(i => !TrainingTraceComparison.MathematicallyZero(name, i, x.Length)).ToArray();
            double rel = TrainingTraceComparison.RelativeError(kept.Select(i => x[i]).ToArray(), kept.Select(i => y[i]).ToArray());
            Assert.True(rel <= 1e-4, $"{what}: {name} relative difference {rel:E2}");
        }
    }

    [Fact]
    public void TwoRanksFollowOneProcessAcrossEpochsAndUnreadableImages()
    {
        // 14 pairs, 2 unreadable, batch 4 (2 per rank): 3 batches an epoch, 7 steps cross two epochs and every
        // unreadable image lands in some batch, on one rank's shard, and is replaced by the pair one process takes.
        var options = new TrainingOptions { Schedule = new CosineSchedule(1e-3, 2, 7) };
        int[] unreadable = [3, 9];
        var one = Train(SingleProcess.Instance, options, 4, 7, unreadable);
        Assert.True(one.Skipped >= 2);
        // Rank 1 starts from other weights; SynchronizeFromRoot gives it rank 0's.
        var ranks = new InProcessJob(2).Run(job => Train(job, options, 4, 7, unreadable, modelSeed: 11 + job.Rank));
        Assert.True(ranks.Sum(r => r.Skipped) >= 2);
        foreach (var rank in ranks) AssertSame(one, rank, "2 ranks");
        for (int p = 0; p < ranks[0].Parameters.Count; p++)
            Assert.True(ranks[0].Parameters[p].Value.Span.SequenceEqual(ranks[1].Parameters[p].Value.Span), $"{ranks[0].Parameters[p].Key} differs between the ranks");
    }

    [Fact]
    public void ThreeRanksWithSigLipChunksAndClippingFollowOneProcess()
    {
        var options = new TrainingOptions { Loss = LossKind.SigLip, Chunks = 2, MaxGradNorm = 0.5, Schedule = new CosineSchedule(1e-3, 1, 3) };
        var one = Train(SingleProcess.Instance, options, 6, 3, []);
        var ranks = new InProcessJob(3).Run(job => Train(job, options, 6, 3, []));
        foreach (var rank in ranks) AssertSame(one, rank, "3 ranks");
    }

    [Fact]
    public void AGlobalBatchThatDoesNotSplitEvenlyIsRefused()
    {
        var errors = Assert.Throws<AggregateException>(() => new InProcessJob(2).Run(job => Train(job, new TrainingOptions(), 5, 1, [])));
        Assert.All(errors.InnerExceptions, e => Assert.Contains("not divisible by the 2 ranks", e.Message));
    }
}
