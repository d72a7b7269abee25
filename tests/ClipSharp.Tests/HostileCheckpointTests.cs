using System.Diagnostics;
using ClipSharp.IO;

namespace ClipSharp.Tests;

/// <summary>
/// The generated hostile-checkpoint set (<see cref="HostileCheckpoints"/>) through the library: each file is
/// refused with one CheckpointException line that names the file and says what is wrong, quickly.
/// (The CLI-level test in ClipSharp.Cli.Tests runs `info` and `embed` on the same set as processes.)
/// </summary>
public class HostileCheckpointTests
{
    public static TheoryData<string> Names() => new(HostileCheckpoints.All.Select(c => c.Name));

    [Fact]
    public void TheSetCoversAtLeastFortyFiles() => Assert.True(HostileCheckpoints.All.Count >= 40, $"{HostileCheckpoints.All.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public void IsRefusedWithOneLineNamingTheFile(string name)
    {
        var c = HostileCheckpoints.All.Single(x => x.Name == name);
        using var dir = new TempDir();
        var path = dir.File(c.Name);
        c.Write(path);
        var clock = Stopwatch.StartNew();
        var ex = Assert.Throws<CheckpointException>(() => ModelLoader.Inspect(path));
        clock.Stop();
        Assert.StartsWith(path + ":", ex.Message);
        Assert.Contains(c.Expect, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"{name}: {clock.Elapsed.TotalSeconds:F2} s");
        Assert.False(File.Exists("/tmp/clipsharp-pwned"));
    }

    [Fact]
    public void LargeIntegersAreNowTypedAsIntegers()
    {
        // 2^31 as a storage offset used to be a BigInteger ("must be an integer"); now it is a long and the
        // refusal is about the storage bounds.
        using var dir = new TempDir();
        var c = HostileCheckpoints.All.Single(x => x.Name == "offset-2pow31.pt");
        var path = dir.File(c.Name);
        c.Write(path);
        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(path));
        Assert.DoesNotContain("must be an integer", ex.Message);
        Assert.Contains("offset 2147483648", ex.Message);
    }

    [Fact]
    public void AContiguousViewLoadsAndAStridedViewIsCopiedOnce()
    {
        using var dir = new TempDir();
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark();
        p.Str("t").Tensor("FloatStorage", "0", 6, 0, [3, 2], [1, 3]); // transposed view of a 2x3 storage
        var path = TorchZip.Write(dir.File("t.pt"), p.SetItems().Stop().ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(1, 2, 3, 4, 5, 6) });
        var t = CheckpointLoader.Load(path)["t"];
        Assert.True(t.IsContiguous);
        Assert.Equal([1f, 4f, 2f, 5f, 3f, 6f], t.Span.ToArray());
    }

    [Fact]
    public void NonFiniteWeightsLoadWithOneWarningNamingThem()
    {
        using var dir = new TempDir();
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark();
        p.Str("a").Tensor("FloatStorage", "0", 3, 0, [3], [1]);
        p.Str("b").Tensor("FloatStorage", "1", 2, 0, [2], [1]);
        p.Str("c").Tensor("FloatStorage", "2", 2, 0, [2], [1]);
        var path = TorchZip.Write(dir.File("nan.pt"), p.SetItems().Stop().ToArray(), new Dictionary<string, byte[]>
        {
            ["0"] = TorchZip.Floats(1, float.NaN, float.NaN),
            ["1"] = TorchZip.Floats(2, 3),
            ["2"] = TorchZip.Floats(float.PositiveInfinity, 0),
        });
        var sd = CheckpointLoader.Load(path);
        var warning = Assert.Single(sd.Warnings);
        Assert.StartsWith(path + ":", warning);
        Assert.Contains("'a' (2 NaN)", warning);
        Assert.Contains("'c' (1 Inf)", warning);
        Assert.DoesNotContain("'b'", warning);
        Assert.Equal(["a", "c"], sd.NonFiniteTensors);
    }

    [Fact]
    public void FiniteWeightsHaveNoWarning()
    {
        using var dir = new TempDir();
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark().Str("a").Tensor("FloatStorage", "0", 2, 0, [2], [1]);
        var path = TorchZip.Write(dir.File("ok.pt"), p.SetItems().Stop().ToArray(), new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(1, 2) });
        Assert.Empty(CheckpointLoader.Load(path).Warnings);
    }

    [Fact]
    public void ShapeProductsAreCheckedAtEveryStep()
    {
        Assert.False(ClipSharp.Tensors.Tensor.TryProduct([20, 5581, 8681, 49477, 384773], out _));
        Assert.Throws<ArgumentException>(() => ClipSharp.Tensors.Tensor.Product([65536, 65536, 65536, 65536]));
        Assert.True(ClipSharp.Tensors.Tensor.TryProduct([int.MaxValue, int.MaxValue, 0], out int zero));
        Assert.Equal(0, zero);
        Assert.Equal(24, ClipSharp.Tensors.Tensor.Product([2, 3, 4]));
    }
}
