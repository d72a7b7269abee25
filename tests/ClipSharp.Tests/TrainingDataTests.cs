using System.Formats.Tar;
using System.Text;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Encoding;
using ClipSharp.Imaging.Preprocessing;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Text;
using ClipSharp.Training;

namespace ClipSharp.Tests;

/// <summary>WebDataset shards, augmentation, and how a run treats unreadable samples.</summary>
public sealed class TrainingDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("clipsharp-wds-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Png(int seed, int w = 20, int h = 16)
    {
        var px = new byte[w * h * 3];
        new Random(seed).NextBytes(px);
        return PngWriter.Encode(new ImageFrame(w, h, PixelMode.Rgb, px));
    }

    /// <summary>Writes a shard of samples (key, files) and returns its path.</summary>
    private string Shard(string name, params (string Key, (string Ext, byte[] Data)[] Files)[] samples)
    {
        var path = Path.Combine(_dir, name);
        using var stream = File.Create(path);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        foreach (var (key, files) in samples)
            foreach (var (ext, data) in files)
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, $"{key}.{ext}") { DataStream = new MemoryStream(data) });
        return path;
    }

    private static (string, (string, byte[])[]) Sample(string key, int seed) =>
        (key, [("png", Png(seed)), ("txt", Encoding.UTF8.GetBytes($"caption {key}"))]);

    private string[] ThreeShards() =>
    [
        Shard("s-000.tar", Sample("a/0", 0), Sample("a/1", 1), Sample("a/2", 2)),
        Shard("s-001.tar", Sample("b/0", 3), Sample("b/1", 4)),
        Shard("s-002.tar", Sample("c/0", 5), Sample("c/1", 6), Sample("c/2", 7), Sample("c/3", 8)),
    ];

    [Fact]
    public void ShardSpecsExpand()
    {
        var shards = ThreeShards();
        Assert.Equal(shards, WebDataset.ExpandShards(Path.Combine(_dir, "s-{000..002}.tar")));
        Assert.Equal(shards, WebDataset.ExpandShards(_dir));
        Assert.Equal([shards[2], shards[0]], WebDataset.ExpandShards($"{shards[2]},{shards[0]}"));
        Assert.True(WebDataset.Looks(Path.Combine(_dir, "s-{000..002}.tar")));
        Assert.True(WebDataset.Looks(_dir));
        Assert.False(WebDataset.Looks(Path.Combine(_dir, "pairs.csv")));
    }

    [Fact]
    public void EachEpochVisitsEverySampleOnceInASeededShuffledOrder()
    {
        var data = new WebDataset(ThreeShards(), shuffleBuffer: 4);
        Assert.Equal(9, data.Count);
        var epoch0 = data.Read(7, 0, 0).Select(p => p.Caption).ToArray();
        var epoch1 = data.Read(7, 1, 0).Select(p => p.Caption).ToArray();
        var expected = new[] { "a/0", "a/1", "a/2", "b/0", "b/1", "c/0", "c/1", "c/2", "c/3" }.Select(k => $"caption {k}").Order();
        Assert.Equal(expected, epoch0.Order());
        Assert.Equal(expected, epoch1.Order());
        Assert.NotEqual(epoch0, epoch1);
        Assert.Equal(epoch0, data.Read(7, 0, 0).Select(p => p.Caption));          // reproducible
        Assert.Equal(epoch0[4..], data.Read(7, 0, 4).Select(p => p.Caption));      // resumable mid-epoch
        var image = data.Read(7, 0, 0).First().Decode();
        Assert.Equal((20, 16), (image.Width, image.Height));
    }

    [Fact]
    public void IncompleteSamplesAndDamagedShardsAreReportedAndSkipped()
    {
        var good = Shard("good.tar", Sample("k/0", 0), ("k/1", [("txt", "no image"u8.ToArray())]), ("k/2", [("png", Png(2))]), Sample("k/3", 3));
        var whole = File.ReadAllBytes(Shard("whole.tar", Sample("t/0", 4), Sample("t/1", 5), Sample("t/2", 6)));
        var cut = Path.Combine(_dir, "cut.tar");
        File.WriteAllBytes(cut, whole[..(whole.Length / 2)]);   // truncated in the middle of its samples
        var log = new List<string>();
        var data = new WebDataset([good, cut], shuffleBuffer: 2, log.Add);
        var captions = data.Read(0, 0, 0).Select(p => p.Caption).ToList();
        Assert.Contains("caption k/0", captions);
        Assert.Contains("caption k/3", captions);
        Assert.Contains("caption t/0", captions);
        Assert.DoesNotContain("caption t/2", captions);
        Assert.Equal(data.Count, captions.Count);
        Assert.Contains(log, l => l.Contains("k/1") && l.Contains("no image"));
        Assert.Contains(log, l => l.Contains("k/2") && l.Contains("no caption"));
        Assert.Contains(log, l => l.StartsWith(cut) && l.Contains("damaged"));
        Assert.Throws<FileNotFoundException>(() => new WebDataset([Path.Combine(_dir, "missing.tar")]));
    }

    [Fact]
    public void ATrainingRunSkipsUndecodableImagesAndTrainsOnTheRest()
    {
        var corrupt = Shard("bad.tar", ("x/0", [("png", "not a png"u8.ToArray()), ("txt", "broken"u8.ToArray())]));
        var data = new WebDataset([.. ThreeShards(), corrupt], shuffleBuffer: 3);
        var config = new ClipConfig(16, new VitConfig(32, 16, 32, 1, 1), new TextConfig(77, 49408, 32, 1, 1));
        var trainer = new ClipTrainer(ClipModel.Random(config, seed: 1), new TrainingOptions(), new ComputeContext(2));
        var skipped = new List<string>();
        using var run = new TrainingRun(trainer, data, new Preprocessor(PreprocessConfig.Clip(32)), ClipTokenizer.Default, 4, seed: 3)
        {
            Skipped = s => { lock (skipped) skipped.Add(s); },
        };
        var losses = Enumerable.Range(0, 6).Select(_ => run.Next().Loss).ToArray();   // 10 pairs, 9 readable: 2 steps per epoch
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(2, run.Progress.Epoch);
        run.Dispose();   // waits for the batch being prepared in the background
        Assert.NotEmpty(skipped);   // met in each epoch unless it falls among the dropped last pairs
        Assert.All(skipped, s => Assert.Contains("bad.tar:x/0", s));
    }

    [Fact]
    public void AugmentationIsDeterministicPerSampleAndKeepsTheOutputSize()
    {
        var frame = ImageDecoder.Decode(Png(9, 60, 40), "test.png");
        var aug = ImageAugmentation.Parse("rrc:0.5,flip")!;
        Assert.Equal(new ImageAugmentation(0.5, 1.0, true), aug);
        var a = aug.Apply(frame, 24, seed: 1);
        Assert.Equal((24, 24, PixelMode.Rgb), (a.Width, a.Height, a.Mode));
        Assert.Equal(a.Pixels, aug.Apply(frame, 24, seed: 1).Pixels);
        Assert.Contains(Enumerable.Range(2, 8), s => !aug.Apply(frame, 24, (ulong)s).Pixels.SequenceEqual(a.Pixels));

        // A flip alone mirrors rows (for some seeds) and leaves the size to the preprocessor.
        var flip = ImageAugmentation.Parse("flip")!;
        var outputs = Enumerable.Range(0, 8).Select(s => flip.Apply(frame, 24, (ulong)s)).ToArray();
        Assert.All(outputs, o => Assert.Equal((60, 40), (o.Width, o.Height)));
        Assert.Contains(outputs, o => o.Pixels.SequenceEqual(frame.Pixels));
        var mirrored = Assert.Single(outputs.Where(o => !o.Pixels.SequenceEqual(frame.Pixels)).Take(1));
        Assert.Equal(frame.Pixels.AsSpan(0, 3).ToArray(), mirrored.Pixels.AsSpan(59 * 3, 3).ToArray());

        Assert.Null(ImageAugmentation.Parse("none"));
        Assert.Throws<ArgumentException>(() => ImageAugmentation.Parse("rrc:2"));
    }
}
