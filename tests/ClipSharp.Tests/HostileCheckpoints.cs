using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace ClipSharp.Tests;

/// <summary>
/// Generates the hostile-checkpoint set (issues 17 and 19) into a folder: torch zips with bad pickles,
/// bombs and expanding views, hostile zip directories, and malformed safetensors. Nothing is committed:
/// every file is built here, so CI regenerates them. Each case names what the refusal must mention.
/// </summary>
internal static class HostileCheckpoints
{
    /// <summary>One generated file: its name and a fragment its one-line refusal must contain.</summary>
    public sealed record Case(string Name, string Expect, Action<string> Write);

    public static IReadOnlyList<Case> All { get; } = Build();

    /// <summary>Writes every case into <paramref name="dir"/>, returning (case, path).</summary>
    public static List<(Case Case, string Path)> WriteAll(string dir)
    {
        var result = new List<(Case, string)>();
        foreach (var c in All)
        {
            var path = System.IO.Path.Combine(dir, c.Name);
            c.Write(path);
            result.Add((c, path));
        }
        return result;
    }

    private static PickleBuilder Dict() => new PickleBuilder().Proto(2).EmptyDict().Mark();

    /// <summary>{'w': tensor(FloatStorage '0' of numel, offset, shape, strides)} with the storage bytes given.</summary>
    private static Action<string> OneTensor(long numel, long offset, long[] shape, long[] strides, byte[] storage, string name = "w")
    {
        var p = Dict().Str(name);
        TensorLong(p, "0", numel, offset, shape, strides);
        var pickle = p.SetItems().Stop().ToArray();
        return path => TorchZip.Write(path, pickle, new Dictionary<string, byte[]> { ["0"] = storage });
    }

    private static PickleBuilder Long(PickleBuilder p, long v)
    {
        p.Bytes(0x8a, 8);
        return p.Raw(BitConverter.GetBytes(v));
    }

    private static void TensorLong(PickleBuilder p, string key, long numel, long offset, long[] shape, long[] strides)
    {
        p.Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Mark().Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu");
        Long(p, numel).Tuple().BinPersid();
        Long(p, offset);
        p.Mark(); foreach (var d in shape) Long(p, d); p.Tuple();
        p.Mark(); foreach (var d in strides) Long(p, d); p.Tuple();
        p.False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce();
    }

    /// <summary>A good one-tensor dict whose value is preceded by <paramref name="prefix"/> opcodes (left on the stack under a POP).</summary>
    private static Action<string> PickleWith(Action<PickleBuilder> hostile)
    {
        var p = new PickleBuilder().Proto(2);
        hostile(p);
        var pickle = p.Stop().ToArray();
        return path => TorchZip.Write(path, pickle, new Dictionary<string, byte[]>());
    }

    private static Action<string> Raw(byte[] bytes) => path => File.WriteAllBytes(path, bytes);

    private static Action<string> Safetensors(string json, byte[]? data = null, long? lengthField = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        return SafetensorsBytes(header, data ?? [], lengthField);
    }

    private static Action<string> SafetensorsBytes(byte[] header, byte[] data, long? lengthField = null) => path =>
    {
        using var fs = File.Create(path);
        var len = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(len, lengthField ?? header.Length);
        fs.Write(len);
        fs.Write(header);
        fs.Write(data);
    };

    /// <summary>A minimal ViT CLIP header (names and shapes only) with one tensor's shape replaced.</summary>
    private static Action<string> VitHeader(string replace, int[] shape)
    {
        var shapes = new Dictionary<string, int[]>
        {
            ["visual.proj"] = [8, 4], ["visual.conv1.weight"] = [8, 3, 4, 4], ["visual.positional_embedding"] = [5, 8],
            ["visual.transformer.resblocks.0.attn.in_proj_weight"] = [24, 8], ["visual.transformer.resblocks.0.mlp.c_fc.weight"] = [32, 8],
            ["ln_final.weight"] = [8], ["positional_embedding"] = [7, 8], ["token_embedding.weight"] = [10, 8],
            ["transformer.resblocks.0.attn.in_proj_weight"] = [24, 8], ["transformer.resblocks.0.mlp.c_fc.weight"] = [32, 8],
            ["text_projection"] = [8, 4],
        };
        shapes[replace] = shape;
        var sb = new StringBuilder("{");
        long at = 0;
        foreach (var (name, s) in shapes)
        {
            long n = s.Aggregate(1L, (a, d) => a * d) * 4;
            sb.Append($"\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", s)}],\"data_offsets\":[{at},{at + n}]}},");
            at += n;
        }
        sb.Length--;
        sb.Append('}');
        return Safetensors(sb.ToString(), new byte[at]);
    }

    /// <summary>A zip whose end record declares <paramref name="entries"/> entries and a directory of <paramref name="directoryBytes"/> (Zip64 when needed).</summary>
    private static Action<string> ZipEnd(ulong entries, ulong directoryBytes) => path =>
    {
        var b = new List<byte>();
        b.AddRange([0x50, 0x4B, 0x03, 0x04]); // a local header signature, so the file is detected as a zip
        b.AddRange(new byte[26]);
        long zip64At = b.Count;
        var rec = new byte[56];
        BinaryPrimitives.WriteUInt32LittleEndian(rec, 0x06064b50);
        BinaryPrimitives.WriteUInt64LittleEndian(rec.AsSpan(4), 44);
        BinaryPrimitives.WriteUInt64LittleEndian(rec.AsSpan(24), entries);
        BinaryPrimitives.WriteUInt64LittleEndian(rec.AsSpan(32), entries);
        BinaryPrimitives.WriteUInt64LittleEndian(rec.AsSpan(40), directoryBytes);
        b.AddRange(rec);
        var loc = new byte[20];
        BinaryPrimitives.WriteUInt32LittleEndian(loc, 0x07064b50);
        BinaryPrimitives.WriteUInt64LittleEndian(loc.AsSpan(8), (ulong)zip64At);
        BinaryPrimitives.WriteUInt32LittleEndian(loc.AsSpan(16), 1);
        b.AddRange(loc);
        var end = new byte[22];
        BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054b50);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(8), 0xFFFF);
        BinaryPrimitives.WriteUInt16LittleEndian(end.AsSpan(10), 0xFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(12), 0xFFFFFFFF);
        BinaryPrimitives.WriteUInt32LittleEndian(end.AsSpan(16), 0xFFFFFFFF);
        b.AddRange(end);
        File.WriteAllBytes(path, b.ToArray());
    };

    /// <summary>A torch zip with a deflated entry of <paramref name="bytes"/> zeros.</summary>
    private static Action<string> DeflatedZeros(string entry, long bytes, byte[] pickle) => path =>
    {
        using var fs = File.Create(path);
        using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
        if (entry != "archive/data.pkl") Put(zip, "archive/data.pkl", pickle, CompressionLevel.NoCompression);
        var e = zip.CreateEntry(entry, CompressionLevel.SmallestSize);
        using var s = e.Open();
        var zeros = new byte[1 << 20];
        for (long done = 0; done < bytes; done += zeros.Length) s.Write(zeros, 0, (int)Math.Min(zeros.Length, bytes - done));
    };

    private static void Put(ZipArchive zip, string name, byte[] bytes, CompressionLevel level)
    {
        using var s = zip.CreateEntry(name, level).Open();
        s.Write(bytes);
    }

    private static byte[] Text(string s) => Encoding.Latin1.GetBytes(s);

    private static List<Case> Build()
    {
        var c = new List<Case>();
        void Add(string name, string expect, Action<string> write) => c.Add(new Case(name, expect, write));

        // --- pickle integers (issue 17.2, 19.3) ---
        Add("long4-100mb-declared.pt", "integer of 104857600 bytes", PickleWith(p => p.Bytes(0x8b).Raw(BitConverter.GetBytes(100 << 20)).Raw(new byte[64])));
        Add("long4-9-bytes.pt", "integer of 9 bytes", PickleWith(p => p.Bytes(0x8b, 9, 0, 0, 0).Raw(new byte[9])));
        Add("long1-255-bytes.pt", "integer of 255 bytes", PickleWith(p => p.Bytes(0x8a, 255).Raw(new byte[255])));
        Add("text-long-40-digits.pt", "at most 8 bytes", PickleWith(p => p.Raw(Text("L" + new string('9', 40) + "L\n"))));
        Add("offset-2pow31.pt", "starts past the end", OneTensor(4, 1L << 31, [2], [1], TorchZip.Floats(1, 2, 3, 4)));
        Add("numel-2pow40.pt", "declares 1099511627776 elements", OneTensor(1L << 40, 0, [2], [1], TorchZip.Floats(1, 2)));
        // --- pickle text arguments (issue 19.4) ---
        Add("bad-float.pt", "FLOAT argument", PickleWith(p => p.Raw(Text("Fnot-a-number\n"))));
        Add("bad-unicode-escape.pt", "bad escape", PickleWith(p => p.Raw(Text("Vab\\uZZZZ\n"))));
        Add("bad-hex-escape.pt", "bad escape", PickleWith(p => p.Raw(Text("S'\\xQ'\n"))));
        Add("bad-U-escape.pt", "not a Unicode code point", PickleWith(p => p.Raw(Text("V\\UFFFFFFFF\n"))));
        Add("overlong-text-line.pt", "over-long text argument", PickleWith(p => p.Raw(Text("F" + new string('1', 10_000) + "\n"))));
        // --- pickle structure (issue 17.2) ---
        Add("deep-marks.pt", "nested MARKs", PickleWith(p => { for (int i = 0; i < 20_000; i++) p.Mark(); }));
        Add("memo-collisions.pt", "holds int", PickleWith(p =>
        {
            p.Int(0); // 200,000 PUTs whose long keys all hash to 0 under long.GetHashCode
            for (long i = 1; i <= 200_000; i++) p.Raw(Text($"p{(i << 32) | i}\n"));
        }));
        Add("dict-key-collisions.pt", "without tensors", PickleWith(p =>
        {
            p.EmptyDict();
            for (int chunk = 0; chunk < 20; chunk++)
            {
                p.Mark();
                for (long i = chunk * 5000L + 1; i <= (chunk + 1) * 5000L; i++) { Long(p, (i << 32) | i); p.Bytes(0x88); }
                p.SetItems();
            }
        }));
        Add("huge-binunicode.pt", "truncated", PickleWith(p => p.Op('X').Raw(BitConverter.GetBytes(int.MaxValue)).Raw(new byte[16])));
        Add("huge-binbytes8.pt", "too large", PickleWith(p => p.Bytes(0x8e).Raw(BitConverter.GetBytes(long.MaxValue)).Raw(new byte[16])));
        Add("unknown-opcode.pt", "unknown pickle opcode", PickleWith(p => p.Bytes(0xff)));
        Add("stack-underflow.pt", "stack underflow", PickleWith(p => p.Op('0')));
        Add("stop-empty.pt", "STOP with an empty stack", PickleWith(_ => { }));
        Add("truncated-pickle.pt", "truncated", path => TorchZip.Write(path, new PickleBuilder().Proto(2).Op('J').Bytes(1).ToArray(), new Dictionary<string, byte[]>()));
        Add("memo-get-missing.pt", "never stored", PickleWith(p => p.Bytes((byte)'h', 7)));
        Add("rank-9.pt", "9 dimensions", OneTensor(1, 0, [1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1], TorchZip.Floats(1)));
        // --- code execution (nothing is run) ---
        Add("global-os-system.pt", "global 'os.system'", PickleWith(p => p.Global("os", "system").Str("touch /tmp/clipsharp-pwned").Tuple1().Reduce()));
        Add("stack-global-eval.pt", "global 'builtins.eval'", PickleWith(p => p.Str("builtins").Str("eval").StackGlobal().Str("1").Tuple1().Reduce()));
        Add("inst-subprocess.pt", "subprocess.Popen", PickleWith(p => p.Mark().Str("id").Raw(Text("isubprocess\nPopen\n"))));
        Add("storage-key-traversal.pt", "not a plain name", path =>
        {
            var p = Dict().Str("w").Tensor("FloatStorage", "../../etc/passwd", 1, 0, [1], [1]);
            TorchZip.Write(path, p.SetItems().Stop().ToArray(), new Dictionary<string, byte[]>());
        });
        // --- views (issue 19.1, 19.2) ---
        Add("stride0-2pow29.pt", "expanding view", OneTensor(1, 0, [1L << 29], [0], TorchZip.Floats(1)));
        Add("stride0-matrix.pt", "expanding view", OneTensor(4, 0, [4096, 4], [0, 1], TorchZip.Floats(1, 2, 3, 4)));
        Add("overlapping-strides.pt", "expanding view", OneTensor(16, 0, [8, 4], [1, 1], new byte[64]));
        Add("shape-2147483591.pt", "reaches", OneTensor(1, 0, [2147483591], [1], TorchZip.Floats(1)));
        Add("shape-product-wraps.pt", "more than 2147483591 elements", OneTensor(1, 0, [20, 5581, 8681, 49477, 384773], [0, 0, 0, 0, 0], TorchZip.Floats(1)));
        Add("stride-huge.pt", "reaches past the end", OneTensor(4, 0, [2, 2], [long.MaxValue / 2, 1], TorchZip.Floats(1, 2, 3, 4)));
        Add("stride-negative.pt", "negative", OneTensor(4, 0, [4], [-1], TorchZip.Floats(1, 2, 3, 4)));
        Add("num-batches-tracked-big.pt", "num_batches_tracked", OneTensor(4096, 0, [4096], [1], new byte[4096 * 4], "visual.bn1.num_batches_tracked"));
        Add("shared-storage-budget.pt", "refusing to allocate", path =>
        {
            var p = Dict();
            for (int i = 0; i < 200; i++) { p.Str($"w{i}"); TensorLong(p, "0", 1 << 20, 0, [1 << 20], [1]); }
            TorchZip.Write(path, p.SetItems().Stop().ToArray(), new Dictionary<string, byte[]> { ["0"] = new byte[4 << 20] });
        });
        Add("storage-size-mismatch.pt", "expected 8 × 4", OneTensor(8, 0, [2], [1], TorchZip.Floats(1, 2)));
        Add("storage-missing.pt", "missing zip entry", path =>
            TorchZip.Write(path, Dict().Str("w").Tensor("FloatStorage", "9", 2, 0, [2], [1]).SetItems().Stop().ToArray(), new Dictionary<string, byte[]>()));
        // --- zip container (issue 17.2, 19.1) ---
        Add("storage-deflate-bomb.pt", "compression bomb", DeflatedZeros("archive/data/0", 16L << 20,
            Dict().Str("w").Tensor("FloatStorage", "0", 4 << 20, 0, [4 << 20], [1]).SetItems().Stop().ToArray()));
        Add("storage-deflate-over-budget.pt", "refusing to allocate", DeflatedZeros("archive/data/0", 64L << 20,
            Dict().Str("w").Tensor("FloatStorage", "0", 16 << 20, 0, [16 << 20], [1]).SetItems().Stop().ToArray()));
        Add("pickle-deflate-bomb.pt", "compression bomb", DeflatedZeros("archive/data.pkl", 32L << 20, []));
        Add("pickle-over-64mb.pt", "expected at most", DeflatedZeros("archive/data.pkl", 65L << 20, []));
        Add("zip64-billion-entries.pt", "1000000000 entries", ZipEnd(1_000_000_000, 46));
        Add("zip-huge-directory.pt", "central directory", ZipEnd(10, 1UL << 40));
        Add("zip-truncated.pt", "not a readable zip", Raw([0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]));
        Add("big-endian.pt", "big-endian", path =>
        {
            using var fs = File.Create(path);
            using var zip = new ZipArchive(fs, ZipArchiveMode.Create);
            Put(zip, "archive/data.pkl", new PickleBuilder().Proto(2).EmptyDict().Stop().ToArray(), CompressionLevel.NoCompression);
            Put(zip, "archive/byteorder", Text("big"), CompressionLevel.NoCompression);
        });
        // --- safetensors (issue 17.2, 19.4) ---
        Add("st-invalid-utf8.safetensors", "not valid UTF-8", SafetensorsBytes([(byte)'{', (byte)'"', 0xff, 0xfe, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []));
        Add("st-length-past-end.safetensors", "only", Safetensors("{}", lengthField: 1L << 20));
        Add("st-length-huge.safetensors", "expected at most", Safetensors("{}", lengthField: 1L << 40));
        Add("st-deep-nesting.safetensors", "not valid JSON", Safetensors(new string('[', 5000) + new string(']', 5000)));
        Add("st-shape-overflow.safetensors", "elements", Safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[20,5581,8681,49477,384773],\"data_offsets\":[0,4]}}", new byte[4]));
        Add("st-offsets-mismatch.safetensors", "needs 16 bytes", Safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,8]}}", new byte[8]));
        Add("st-unknown-dtype.safetensors", "unknown dtype", Safetensors("{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", new byte[16]));
        Add("st-huge-number.safetensors", "non-negative integer", Safetensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[1" + new string('0', 400) + "],\"data_offsets\":[0,4]}}", new byte[4]));
        // --- architecture inference (issue 19.4) ---
        Add("st-text-projection-rank1.safetensors", "'text_projection' has shape (8)", VitHeader("text_projection", [8]));
        Add("st-conv1-rank1.safetensors", "'visual.conv1.weight' has shape (8)", VitHeader("visual.conv1.weight", [8]));
        Add("st-positions-not-square.safetensors", "square grid", VitHeader("visual.positional_embedding", [7, 8]));
        Add("st-context-huge.safetensors", "the context length", VitHeader("positional_embedding", [100_000, 1]));
        return c;
    }
}
