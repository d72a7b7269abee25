using System.IO.Compression;
using System.Text;

namespace ClipSharp.Tests;

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("clipsharp-io-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// Emits pickle opcodes by hand (protocol 2-4 subset), so tests can craft both the tensors torch.save
/// writes and hostile programs (os.system, builtins.eval, ...).
/// </summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _b = new();

    public PickleBuilder Proto(int p = 2) => Bytes(0x80, (byte)p);
    public PickleBuilder Op(char c) => Bytes((byte)c);
    public PickleBuilder Mark() => Op('(');
    public PickleBuilder Tuple() => Op('t');
    public PickleBuilder Tuple1() => Bytes(0x85);
    public PickleBuilder EmptyTuple() => Op(')');
    public PickleBuilder EmptyDict() => Op('}');
    public PickleBuilder SetItem() => Op('s');
    public PickleBuilder SetItems() => Op('u');
    public PickleBuilder Reduce() => Op('R');
    public PickleBuilder Build() => Op('b');
    public PickleBuilder NewObj() => Bytes(0x81);
    public PickleBuilder BinPersid() => Op('Q');
    public PickleBuilder False() => Bytes(0x89);
    public PickleBuilder StackGlobal() => Bytes(0x93);
    public PickleBuilder Stop() => Op('.');

    public PickleBuilder Global(string module, string name) =>
        Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder Str(string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        Op('X');
        _b.AddRange(BitConverter.GetBytes(bytes.Length));
        return Raw(bytes);
    }

    public PickleBuilder Int(int v)
    {
        Op('J');
        _b.AddRange(BitConverter.GetBytes(v));
        return this;
    }

    public PickleBuilder Ints(params int[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>torch._utils._rebuild_tensor_v2(('storage', torch.STORAGE, key, 'cpu', numel), offset, shape, strides, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storageClass, string key, int numel, int offset, int[] shape, int[] strides)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage").Global("torch", storageClass).Str(key).Str("cpu").Int(numel).Tuple().BinPersid();
        Int(offset).Ints(shape).Ints(strides).False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    public PickleBuilder Raw(byte[] bytes)
    {
        _b.AddRange(bytes);
        return this;
    }

    public PickleBuilder Bytes(params byte[] bytes) => Raw(bytes);

    public byte[] ToArray() => _b.ToArray();
}

internal static class TorchZip
{
    /// <summary>Writes a torch.save-style zip: archive/data.pkl, archive/data/KEY for each storage, archive/version.</summary>
    public static string Write(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, string prefix = "archive")
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        Add(zip, $"{prefix}/data.pkl", pickle);
        Add(zip, $"{prefix}/byteorder", Encoding.ASCII.GetBytes("little"));
        foreach (var (key, bytes) in storages) Add(zip, $"{prefix}/data/{key}", bytes);
        Add(zip, $"{prefix}/version", Encoding.ASCII.GetBytes("3\n"));
        return path;
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes)
    {
        var e = zip.CreateEntry(name, CompressionLevel.NoCompression);
        using var s = e.Open();
        s.Write(bytes);
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, b, 0, b.Length);
        return b;
    }
}
