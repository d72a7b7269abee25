using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;
using ClipSharp.Training;

namespace ClipSharp.Tests;

/// <summary>The run loop, checkpoints and exact resume, CSV parsing, data order and the loss plot.</summary>
public class TrainingRunTests
{
    private static readonly ClipConfig Tiny = new(16, new VitConfig(32, 16, 32, 1, 1), new TextConfig(77, 49408, 32, 1, 1));

    private static LabelledPairDataset Synthetic(int count)
    {
        var rng = new Random(5);
        var frames = Enumerable.Range(0, count).Select(_ =>
        {
            var px = new byte[40 * 36 * 3];
            rng.NextBytes(px);
            return new ImageFrame(40, 36, PixelMode.Rgb, px);
        }).ToArray();
        return new LabelledPairDataset(count, i => frames[i], i => i % 3, ["cat", "dog", "shoe"], ["a photo of a {}.", "a {} in the wild."]);
    }

    private static (ClipTrainer Trainer, TrainingRun Run) Start(TrainingProgress? resume = null, Action<ClipTrainer>? before = null)
    {
        var trainer = new ClipTrainer(ClipModel.Random(Tiny, seed: 11),
            new TrainingOptions { Schedule = new CosineSchedule(1e-3, 2, 6), MaxGradNorm = 1.0 }, new ComputeContext(2));
        before?.Invoke(trainer);
        var run = new TrainingRun(trainer, Synthetic(7), new Preprocessor(PreprocessConfig.Clip(32)), ClipTokenizer.Default, 3, seed: 42, resume);
        return (trainer, run);
    }

    [Fact]
    public void ResumingFromACheckpointIsBitExact()
    {
        var (straight, runA) = Start();
        var lossesA = Enumerable.Range(0, 5).Select(_ => runA.Next().Loss).ToArray();   // 2 steps per epoch: crosses two epochs

        var (first, runB) = Start();
        runB.Next();
        runB.Next();
        runB.Next();
        var dir = Path.Combine(Path.GetTempPath(), "clipsharp-ckpt-" + Guid.NewGuid().ToString("N"));
        try
        {
            TrainingCheckpoint.Save(dir, first, runB.Progress);
            TrainingCheckpoint.Save(dir, first, runB.Progress);   // overwriting an existing checkpoint works
            TrainingProgress? progress = null;
            var (resumed, _) = Start(before: t => progress = TrainingCheckpoint.Load(dir, t));
            Assert.Equal(runB.Progress, progress);
            var runC = new TrainingRun(resumed, Synthetic(7), new Preprocessor(PreprocessConfig.Clip(32)), ClipTokenizer.Default, 3, seed: 0, progress);
            var lossesC = new[] { runC.Next().Loss, runC.Next().Loss };
            Assert.Equal(lossesA[3..], lossesC);
            for (int i = 0; i < straight.Model.Parameters.Count; i++)
                Assert.True(straight.Model.Parameters[i].Value.Span.SequenceEqual(resumed.Model.Parameters[i].Value.Span),
                    $"{straight.Model.Parameters[i].Key} differs after resuming");
            for (int i = 0; i < straight.Optimizer.Parameters.Count; i++)
                Assert.True(straight.Optimizer.Parameters[i].ExpAvgSq.Span.SequenceEqual(resumed.Optimizer.Parameters[i].ExpAvgSq.Span));
            Assert.Equal(5, runC.Progress.Step);
            Assert.DoesNotContain(Directory.GetDirectories(Path.GetDirectoryName(dir)!), d =>
                Path.GetFileName(d).Contains(Path.GetFileName(dir)) && (d.EndsWith(".tmp") || d.EndsWith(".old")));
            // The weights file is an ordinary checkpoint.
            var reloaded = ClipModel.FromStateDict(TestSafetensors.StateDict(Path.Combine(dir, TrainingCheckpoint.ModelFile)), Tiny);
            Assert.True(reloaded.LogitScale.Span.SequenceEqual(first.Model.LogitScale.Span));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void DataOrderIsAPermutationThatChangesEachEpoch()
    {
        var a = DataOrder.Permutation(100, 7, 0);
        var b = DataOrder.Permutation(100, 7, 1);
        Assert.Equal(Enumerable.Range(0, 100), a.Order());
        Assert.Equal(Enumerable.Range(0, 100), b.Order());
        Assert.NotEqual(a, b);
        Assert.Equal(a, DataOrder.Permutation(100, 7, 0));
    }

    [Fact]
    public void CsvAndTsvCaptionsAreRead()
    {
        var dir = Directory.CreateTempSubdirectory("clipsharp-csv").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "pairs.csv"), "id,filepath,title\n1,a.png,\"a cat, sitting \"\"here\"\"\"\n2,/abs/b.jpg,dog\n");
            File.WriteAllText(Path.Combine(dir, "pairs.tsv"), "title\tfilepath\na cat, sitting\ta.png\n");
            var csv = new CsvPairDataset(Path.Combine(dir, "pairs.csv"));
            Assert.Equal(2, csv.Count);
            Assert.Equal(["1", "a.png", "a cat, sitting \"here\""], ClipSharp.Datasets.CaptionFile.Parse("1,a.png,\"a cat, sitting \"\"here\"\"\"", ',')[0]);
            Assert.Equal(1, new CsvPairDataset(Path.Combine(dir, "pairs.tsv")).Count);
            var ex = Assert.Throws<InvalidDataException>(() => new CsvPairDataset(Path.Combine(dir, "pairs.csv"), "image", "caption"));
            Assert.Contains("pairs.csv", ex.Message);
            Assert.Contains("'image'", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void LossPlotIsAnSvgWithBothCurves()
    {
        var svg = TrainingLog.LossSvg([(1, 3.0), (2, 2.5), (3, 2.0), (4, 1.0)]);
        Assert.StartsWith("<svg", svg);
        Assert.Equal(2, svg.Split("<polyline").Length - 1);
        var line = TrainingLog.JsonLine(new StepMetrics(3, 0, 1.5, 1e-3, 2.0, 14.3, 10, 0.3));
        Assert.Contains("\"step\":3", line);
        Assert.Contains("\"loss\":1.5", line);
    }
}
