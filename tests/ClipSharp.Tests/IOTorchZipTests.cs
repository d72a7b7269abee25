using ClipSharp.IO;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>
/// Handcrafted torch.save archives: hostile pickles are refused naming the global before any storage
/// is touched; damaged archives give one clear error; views, shared storages and nesting load right.
/// </summary>
public class IOTorchZipTests
{
    private static CheckpointException Refused(string path, params string[] fragments)
    {
        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(path));
        Assert.StartsWith(path + ":", ex.Message);
        foreach (var f in fragments) Assert.Contains(f, ex.Message);
        return ex;
    }

    /// <summary>{'w': a valid tensor, 'x': HOSTILE} — the hostile part comes after a good tensor.</summary>
    private static byte[] DictWithHostileValue(Action<PickleBuilder> hostile)
    {
        var p = new PickleBuilder().Proto(2).EmptyDict().Mark();
        p.Str("w").Tensor("FloatStorage", "0", 2, 0, [2], [1]);
        p.Str("x");
        hostile(p);
        return p.SetItems().Stop().ToArray();
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("posix", "system")]
    [InlineData("subprocess", "Popen")]
    [InlineData("builtins", "getattr")]
    [InlineData("torch.storage", "_load_from_bytes")]
    [InlineData("torch.nn.modules.linear", "Linear")]
    [InlineData("__torch__.clip.model", "CLIP")] // only allowed inside TorchScript archives
    public void GlobalReduceIsRefusedNamingTheGlobal(string module, string name)
    {
        using var dir = new TempDir();
        var pickle = DictWithHostileValue(p => p.Global(module, name).Str("echo pwned > /tmp/pwned").Tuple1().Reduce());
        // No storage entry at all: the refusal must come from the pickle, before storages are read.
        var path = TorchZip.Write(dir.File("evil.pt"), pickle, new Dictionary<string, byte[]>());
        Refused(path, $"global '{module}.{name}'", "archive/data.pkl", "not allowed", "nothing was executed");
    }

    [Fact]
    public void StackGlobalIsCheckedToo()
    {
        using var dir = new TempDir();
        var pickle = DictWithHostileValue(p => p.Str("os").Str("system").StackGlobal().Str("id").Tuple1().Reduce());
        var path = TorchZip.Write(dir.File("evil.pt"), pickle, new Dictionary<string, byte[]>());
        Refused(path, "global 'os.system'");
    }

    [Fact]
    public void ReduceOnAStringIsRefused()
    {
        using var dir = new TempDir();
        var pickle = DictWithHostileValue(p => p.Str("os.system").Str("id").Tuple1().Reduce());
        var path = TorchZip.Write(dir.File("evil.pt"), pickle, new Dictionary<string, byte[]>());
        Refused(path, "REDUCE applies str 'os.system'", "not an allowed function");
    }

    [Fact]
    public void CallingAStorageTypeIsRefused()
    {
        using var dir = new TempDir();
        var pickle = DictWithHostileValue(p => p.Global("torch", "FloatStorage").Int(5).Tuple1().Reduce());
        var path = TorchZip.Write(dir.File("evil.pt"), pickle, new Dictionary<string, byte[]>());
        Refused(path, "REDUCE calls 'torch.FloatStorage'", "never be called");
    }

    [Fact]
    public void NewObjOfAnythingButScriptClassesIsRefused()
    {
        using var dir = new TempDir();
        var pickle = DictWithHostileValue(p => p.Global("collections", "OrderedDict").Global("torch", "Tensor").EmptyTuple().NewObj()
            .Mark().Tuple().Reduce());
        var path = TorchZip.Write(dir.File("evil.pt"), pickle, new Dictionary<string, byte[]>());
        Refused(path, "NEWOBJ of global 'torch.Tensor' is not allowed");
    }

    [Fact]
    public void TruncatedZipIsRefused()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Path("vit-tiny", "openai", "model.pt"));
        var path = dir.File("truncated.pt");
        File.WriteAllBytes(path, bytes[..(bytes.Length * 6 / 10)]);
        Refused(path, "not a readable zip archive");
    }

    [Fact]
    public void MissingStorageEntryIsNamed()
    {
        using var dir = new TempDir();
        var pickle = new PickleBuilder().Proto(2).EmptyDict()
            .Str("a").Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem()
            .Str("b").Tensor("HalfStorage", "1", 3, 0, [3], [1]).SetItem().Stop().ToArray();
        var path = TorchZip.Write(dir.File("missing.pt"), pickle, new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(1, 2) });
        Refused(path, "missing zip entry 'archive/data/1'", "F16 × 3");
    }

    [Fact]
    public void StorageWithWrongByteCountIsNamed()
    {
        using var dir = new TempDir();
        var pickle = new PickleBuilder().Proto(2).EmptyDict().Str("a").Tensor("FloatStorage", "0", 4, 0, [4], [1]).SetItem().Stop().ToArray();
        var path = TorchZip.Write(dir.File("short.pt"), pickle, new Dictionary<string, byte[]> { ["0"] = new byte[10] });
        Refused(path, "storage 'archive/data/0'", "holds 10 bytes", "expected 4 × 4 = 16");
    }

    [Fact]
    public void ViewPastTheStorageIsNamed()
    {
        using var dir = new TempDir();
        var pickle = new PickleBuilder().Proto(2).EmptyDict().Str("big").Tensor("FloatStorage", "0", 12, 0, [4, 4], [4, 1]).SetItem().Stop().ToArray();
        var path = TorchZip.Write(dir.File("view.pt"), pickle, new Dictionary<string, byte[]> { ["0"] = new byte[48] });
        Refused(path, "tensor 'big'", "reaches element 15", "holds 12");
    }

    [Fact]
    public void TruncatedPickleIsRefused()
    {
        using var dir = new TempDir();
        var full = new PickleBuilder().Proto(2).EmptyDict().Str("a").Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem().Stop().ToArray();
        var path = TorchZip.Write(dir.File("cut.pt"), full[..(full.Length / 2)], new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(1, 2) });
        Refused(path, "archive/data.pkl", "truncated");
    }

    [Fact]
    public void LegacyTorchFileIsRefusedClearly()
    {
        using var dir = new TempDir();
        var path = dir.File("legacy.pt");
        // Pre-1.6 torch.save starts with a protocol-2 pickle of the magic number 0x1950a86a20f9469cfc6c.
        File.WriteAllBytes(path, [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
        Refused(path, "legacy", "zip format");
    }

    [Fact]
    public void StridedOffsetAndSharedViewsOfOneStorage()
    {
        using var dir = new TempDir();
        // One F32 storage 0..11 seen as: the full (3, 4) matrix, its transpose (4, 3) via strides,
        // a (2, 2) window at offset 5, and a rank-0 scalar at offset 7. Plus an F16 and a BF16 storage.
        var pickle = new PickleBuilder().Proto(2).EmptyDict().Mark()
            .Str("full").Tensor("FloatStorage", "0", 12, 0, [3, 4], [4, 1])
            .Str("transposed").Tensor("FloatStorage", "0", 12, 0, [4, 3], [1, 4])
            .Str("window").Tensor("FloatStorage", "0", 12, 5, [2, 2], [4, 1])
            .Str("scalar").Tensor("FloatStorage", "0", 12, 7, [], [])
            .Str("half").Tensor("HalfStorage", "1", 3, 0, [3], [1])
            .Str("bf16").Tensor("BFloat16Storage", "2", 2, 0, [2], [1])
            .SetItems().Stop().ToArray();
        var storages = new Dictionary<string, byte[]>
        {
            ["0"] = TorchZip.Floats(Enumerable.Range(0, 12).Select(i => (float)i).ToArray()),
            ["1"] = [0x00, 0x3C, 0x00, 0xC0, 0x55, 0x35], // 1.0, -2.0, 0.333251953125
            ["2"] = [0x80, 0x3F, 0x49, 0x40], // 1.0, 3.140625
        };
        var path = TorchZip.Write(dir.File("views.pt"), pickle, storages);
        var sd = CheckpointLoader.Load(path);
        Assert.Equal(new[] { "full", "transposed", "window", "scalar", "half", "bf16" }, sd.Names);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i), sd["full"].Span.ToArray());
        Assert.Equal(new float[] { 0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11 }, sd["transposed"].Span.ToArray());
        Assert.Equal(new float[] { 5, 6, 9, 10 }, sd["window"].Span.ToArray());
        Assert.Equal(new[] { 1 }, sd["scalar"].Shape);
        Assert.Equal(7f, sd["scalar"].Span[0]);
        Assert.Equal(new float[] { 1, -2, 0.333251953125f }, sd["half"].Span.ToArray());
        Assert.Equal(new float[] { 1, 3.140625f }, sd["bf16"].Span.ToArray());
        // Shared storage: tensors must not alias each other.
        sd["full"].Span[5] = 100;
        Assert.Equal(5f, sd["window"].Span[0]);
        Assert.Equal("F32", sd.StoredDtype("full"));
        Assert.Equal("BF16", sd.StoredDtype("bf16"));
    }

    [Fact]
    public void NestedStateDictWithModulePrefix()
    {
        using var dir = new TempDir();
        // {'epoch': 3, 'state_dict': {'module.a': tensor, 'module.b': tensor}}
        var pickle = new PickleBuilder().Proto(2).EmptyDict().Mark()
            .Str("epoch").Int(3)
            .Str("state_dict").EmptyDict().Mark()
                .Str("module.a").Tensor("FloatStorage", "0", 2, 0, [2], [1])
                .Str("module.b").Tensor("FloatStorage", "1", 1, 0, [1], [1])
                .SetItems()
            .SetItems().Stop().ToArray();
        var storages = new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(1, 2), ["1"] = TorchZip.Floats(3) };
        var path = TorchZip.Write(dir.File("nested.pt"), pickle, storages, prefix: "nested");
        var sd = CheckpointLoader.Load(path);
        Assert.Equal(new[] { "a", "b" }, sd.Names);
        Assert.Equal(new float[] { 1, 2 }, sd["a"].Span.ToArray());
        Assert.Contains("under 'state_dict'", sd.Detail);
        Assert.Contains("'module.' prefix stripped", sd.Detail);
    }

    [Fact]
    public void DictWithoutTensorsSaysWhatItHas()
    {
        using var dir = new TempDir();
        var pickle = new PickleBuilder().Proto(2).EmptyDict().Str("epoch").Int(3).SetItem().Stop().ToArray();
        var path = TorchZip.Write(dir.File("empty.pt"), pickle, new Dictionary<string, byte[]>());
        Refused(path, "without tensors", "str 'epoch'");
    }

    [Fact]
    public void Protocol4OpcodesFrameMemoizeStackGlobal()
    {
        using var dir = new TempDir();
        static byte[] Short(string s) => [0x8c, (byte)s.Length, .. System.Text.Encoding.ASCII.GetBytes(s)];
        var p = new PickleBuilder().Proto(4).Bytes(0x95, 200, 0, 0, 0, 0, 0, 0, 0); // FRAME
        p.Bytes(0x8c, 11).Raw("collections"u8.ToArray()).Bytes(0x94)                  // memo 0
         .Raw(Short("OrderedDict")).Bytes(0x94).StackGlobal().Bytes(0x94)             // memo 1, 2
         .EmptyTuple().Reduce().Bytes(0x94)                                           // the state_dict, memo 3
         .Raw(Short("w")).Tensor("FloatStorage", "0", 3, 1, [2], [1]).SetItem()
         .Raw(Short("v")).Op('h').Bytes(3).Op('0')                                    // BINGET 3, POP: no-op
         .Tensor("HalfStorage", "1", 1, 0, [1], [1]).SetItem().Stop();
        var storages = new Dictionary<string, byte[]> { ["0"] = TorchZip.Floats(9, 8, 7), ["1"] = [0x00, 0x3C] };
        var sd = CheckpointLoader.Load(TorchZip.Write(dir.File("p4.pt"), p.ToArray(), storages));
        Assert.Equal(new[] { "w", "v" }, sd.Names);
        Assert.Equal(new float[] { 8, 7 }, sd["w"].Span.ToArray());
        Assert.Equal(1f, sd["v"].Span[0]);
    }
}
