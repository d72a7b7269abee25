using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using ClipSharp.IO;

namespace ClipSharp.Fuzz;

/// <summary>
/// The checkpoint readers: the safetensors header parser (fast, on the header alone), whole safetensors
/// files, and torch zips through <see cref="CheckpointLoader.Load"/> (torch.save archives read by the
/// unpickler, TorchScript archives by the TorchScript reader). Zip inputs are mutated inside the archive:
/// one entry's bytes (data.pkl most often, with pickle opcode snippets such as LONG4, deep MARK nesting,
/// huge string lengths or foreign GLOBALs), storages truncated, grown or removed, entries renamed or
/// added; then the archive is rebuilt with valid CRCs (and sometimes mutated again as raw bytes). Seeds:
/// the shared vit-tiny model.safetensors, model.pt and model_jit.pt and the small files of bench/fuzz/seeds.
/// Every refusal must be a <see cref="CheckpointException"/>.
/// </summary>
internal sealed class CheckpointTarget : IFuzzTarget, IDisposable
{
    private sealed record ZipSeed(string Name, List<(string Entry, byte[] Data)> Entries, byte[] Raw, int Weight);

    private readonly List<(string Name, byte[] Json, long FileLength)> _headers = [];
    private readonly List<(string Name, byte[] Bytes)> _safetensors = [];
    private readonly List<ZipSeed> _zips = [];
    private readonly int _zipWeight;
    private readonly string _scratch;

    private static readonly byte[][] PickleSnippets =
    [
        [0x8A, 8, 0, 0, 0, 0, 0, 0, 0, 0x80],                       // LONG1 of 8 bytes: -2^63
        [0x8A, 9, 1, 0, 0, 0, 0, 0, 0, 0, 1],                       // LONG1 of 9 bytes: 2^64 + 1
        [0x8A, 5, 0, 0, 0, 0x80, 0],                                // LONG1: 2^31 (issue #19 item 3)
        [0x8B, 0xFF, 0xFF, 0xFF, 0x7F],                            // LONG4 claiming 2 GiB
        [0x8B, 0x00, 0x10, 0x00, 0x00],                            // LONG4 of 4096 bytes
        [0x58, 0xF0, 0xFF, 0xFF, 0xFF],                            // BINUNICODE with a 4 GiB length
        [0x58, 4, 0, 0, 0, 0xFF, 0xFE, 0x80, 0x80],                // BINUNICODE with invalid UTF-8
        [0x8C, 2, 0xC3, 0x28],                                     // SHORT_BINUNICODE with invalid UTF-8
        .. new[] { "cos\nsystem\n", "cbuiltins\neval\n", "ctorch._utils\n_rebuild_tensor_v2\n", "ccollections\nOrderedDict\n",
                   "ctorch\nFloatStorage\n", "ctorch\nHalfStorage\n", "c__builtin__\nset\n" }.Select(s => Encoding.ASCII.GetBytes(s)),
        [0x94], [0x68, 0], [0x68, 0xFF], [0x6A, 0xFF, 0xFF, 0xFF, 0xFF], [0x72, 0xFF, 0xFF, 0xFF, 0x7F], // memo ops
        [0x52], [0x62], [0x73], [0x74], [0x65], [0x61], [0x75], [0x2E], [0x4E], [0x29], [0x7D], [0x5D], [0x85], [0x86], [0x87],
        [0x4B, 0xFF], [0x4D, 0xFF, 0xFF], [0x4A, 0xFF, 0xFF, 0xFF, 0x7F], [0x4A, 0, 0, 0, 0x80], [0x4A, 0xFF, 0xFF, 0xFF, 0xFF],
        [0x47, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0], [0x47, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0],         // BINFLOAT NaN, Inf
        [0x80, 0x02], [0x80, 0x05], [0x88], [0x89], [0x51], [0x30], [0x32], [0x31],
        Encoding.ASCII.GetBytes("V\\uZZZZ\n"), Encoding.ASCII.GetBytes("F1e999\n"), Encoding.ASCII.GetBytes("Fnot-a-float\n"),
        Encoding.ASCII.GetBytes("I99999999999999999999999\n"), Encoding.ASCII.GetBytes("L12345678901234567890L\n"),
    ];

    public CheckpointTarget(string repoRoot, string shared)
    {
        _scratch = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"clipsharp-fuzz-{Environment.ProcessId}");
        Directory.CreateDirectory(_scratch);
        string seeds = Path.Combine(repoRoot, "bench/fuzz/seeds");
        string openai = Path.Combine(shared, "fixtures/vit-tiny/openai");
        foreach (var p in new[] { Path.Combine(openai, "model.safetensors"), Path.Combine(shared, "fixtures/vit-tiny/hf/model.safetensors"), Path.Combine(seeds, "small.safetensors") })
        {
            var (json, length) = ReadHeader(p);
            _headers.Add((Path.GetFileName(Path.GetDirectoryName(p)!) + "/" + Path.GetFileName(p), json, length));
        }
        _safetensors.Add(("small.safetensors", File.ReadAllBytes(Path.Combine(seeds, "small.safetensors"))));
        foreach (var f in Directory.GetFiles(seeds, "*.pt").Order(StringComparer.Ordinal))
            _zips.Add(ReadZip(f, 10));
        _zips.Add(ReadZip(Path.Combine(openai, "model.pt"), 1));
        _zips.Add(ReadZip(Path.Combine(openai, "model_jit.pt"), 1));
        _zipWeight = _zips.Sum(z => z.Weight);
    }

    public string Name => "checkpoints";

    public string Extension(string kind) => kind switch { "st-header" => "stheader", "safetensors" => "safetensors", _ => "pt" };

    public FuzzInput Generate(ulong campaignSeed, long index)
    {
        var rng = Rng.For(campaignSeed, index, Name);
        int which = rng.Below(100);
        if (which < 30)
        {
            var (name, json, length) = rng.Pick(_headers);
            var mutated = Mutator.Mutate(json, rng, headerBias: json.Length);
            long fileLength = rng.Chance(85) ? length : rng.Chance(50) ? 8 + mutated.Length + rng.Below(1 << 20) : rng.Below(length);
            var bytes = new byte[8 + mutated.Length];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, fileLength);
            mutated.CopyTo(bytes, 8);
            return new FuzzInput("st-header", bytes, name);
        }
        if (which < 40)
        {
            var (name, b) = rng.Pick(_safetensors);
            return new FuzzInput("safetensors", Mutator.Mutate(b, rng, headerBias: 256), name);
        }
        var zip = PickZip(rng);
        return new FuzzInput("torch", MutateZip(zip, rng), zip.Name);
    }

    public (Outcome, Exception?) Run(FuzzInput input)
    {
        const string name = "fuzz-input";
        try
        {
            if (input.Kind == "st-header")
            {
                long fileLength = BinaryPrimitives.ReadInt64LittleEndian(input.Bytes);
                SafetensorsHeader.Parse(name, input.Bytes.AsSpan(8), fileLength);
                return (Outcome.Accepted, null);
            }
            var path = Path.Combine(_scratch, "input." + Extension(input.Kind));
            File.WriteAllBytes(path, input.Bytes);
            var sd = CheckpointLoader.Load(path);
            foreach (var n in sd.Names) _ = sd[n].Length;
            return (Outcome.Accepted, null);
        }
        catch (CheckpointException)
        {
            return (Outcome.Refused, null);
        }
        catch (Exception e)
        {
            return (Outcome.Untyped, e);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private ZipSeed PickZip(Rng rng)
    {
        int r = rng.Below(_zipWeight);
        foreach (var z in _zips)
        {
            if (r < z.Weight) return z;
            r -= z.Weight;
        }
        return _zips[^1];
    }

    private static (byte[] Json, long FileLength) ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        fs.ReadExactly(prefix);
        long n = BinaryPrimitives.ReadInt64LittleEndian(prefix);
        var json = new byte[n];
        fs.ReadExactly(json);
        return (json, fs.Length);
    }

    private static ZipSeed ReadZip(string path, int weight)
    {
        var raw = File.ReadAllBytes(path);
        using var zip = new ZipArchive(new MemoryStream(raw), ZipArchiveMode.Read);
        var entries = new List<(string, byte[])>();
        foreach (var e in zip.Entries)
        {
            using var s = e.Open();
            var ms = new MemoryStream();
            s.CopyTo(ms);
            entries.Add((e.FullName, ms.ToArray()));
        }
        return new ZipSeed(Path.GetFileName(path), entries, raw, weight);
    }

    private static byte[] MutateZip(ZipSeed seed, Rng rng)
    {
        bool small = seed.Raw.Length <= Mutator.MaxLength;
        if (small && rng.Chance(12)) return Mutator.Mutate(seed.Raw, rng, headerBias: 256);

        var entries = new List<(string Entry, byte[] Data)>(seed.Entries);
        int ops = rng.Count(3);
        for (int op = 0; op < ops; op++)
        {
            int kind = rng.Below(100);
            int pkl = entries.FindIndex(e => e.Entry.EndsWith("/data.pkl", StringComparison.Ordinal));
            if (kind < 55 && pkl >= 0)
                entries[pkl] = (entries[pkl].Entry, MutatePickle(entries[pkl].Data, rng));
            else if (kind < 65)
            {
                int i = entries.FindIndex(e => e.Entry.EndsWith("constants.pkl", StringComparison.Ordinal) || e.Entry.Contains("/code/"));
                if (i < 0) i = rng.Below(entries.Count);
                if (rng.Chance(30)) i = rng.Below(entries.Count);
                entries[i] = (entries[i].Entry, entries[i].Data.Length <= Mutator.MaxLength ? MutatePickle(entries[i].Data, rng) : entries[i].Data[..rng.Below(entries[i].Data.Length)]);
            }
            else if (kind < 80)
            {
                var storages = entries.Select((e, i) => (e, i)).Where(x => x.e.Entry.Contains("/data/")).ToList();
                if (storages.Count == 0) continue;
                var (e, at) = rng.Pick(storages);
                int mode = rng.Below(3);
                entries[at] = mode switch
                {
                    0 => (e.Entry, e.Data[..rng.Below(e.Data.Length + 1)]),
                    1 => (e.Entry, [.. e.Data, .. new byte[1 + rng.Below(64)]]),
                    _ => (e.Entry, []),
                };
                if (rng.Chance(20)) entries.RemoveAt(at);
            }
            else if (kind < 90)
            {
                int i = rng.Below(entries.Count);
                var e = entries[i];
                string newName = rng.Below(4) switch
                {
                    0 => e.Entry + "x",
                    1 => e.Entry.Replace("archive/", "other/").Replace("model/", "other/"),
                    2 => "../" + e.Entry,
                    _ => e.Entry[..Math.Max(0, e.Entry.Length - 1)],
                };
                entries[i] = (newName, e.Data);
            }
            else
            {
                string prefix = entries[0].Entry.Split('/')[0];
                entries.Add(rng.Below(3) switch
                {
                    0 => ($"{prefix}/byteorder", Encoding.ASCII.GetBytes(rng.Chance(50) ? "big" : "middle")),
                    1 => ($"{prefix}/data.pkl", MutatePickle(entries[Math.Max(0, entries.FindIndex(x => x.Entry.EndsWith("data.pkl")))].Data, rng)),
                    _ => ($"{prefix}/constants.pkl", [0x80, 0x02, 0x29, 0x2E]),
                });
            }
        }
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var level = small && rng.Chance(20) ? CompressionLevel.Fastest : CompressionLevel.NoCompression;
            foreach (var (name, data) in entries)
            {
                var entry = zip.CreateEntry(name, level);
                using var s = entry.Open();
                s.Write(data);
            }
        }
        var bytes = ms.ToArray();
        if (small && bytes.Length <= Mutator.MaxLength && rng.Chance(8)) bytes = Mutator.Mutate(bytes, rng, headerBias: 64);
        return bytes;
    }

    private static byte[] MutatePickle(byte[] pkl, Rng rng)
    {
        if (rng.Chance(45)) return Mutator.Mutate(pkl, rng, headerBias: pkl.Length);
        var d = new List<byte>(pkl);
        int n = rng.Count(4);
        for (int i = 0; i < n; i++)
        {
            var snippet = rng.Pick(PickleSnippets);
            int times = rng.Chance(85) ? 1 : 1 + rng.Below(5000);
            int at = rng.Below(d.Count + 1);
            for (int t = 0; t < times && d.Count < Mutator.MaxLength; t++) d.InsertRange(at, snippet);
            if (rng.Chance(30) && snippet is [0x8B, ..])
            {
                // A real LONG4 payload of a few KB to a few hundred KB.
                int len = 1 + rng.Below(rng.Chance(50) ? 4096 : 512 * 1024);
                var payload = new byte[4 + len];
                BinaryPrimitives.WriteInt32LittleEndian(payload, len);
                for (int k = 0; k < len; k += 97) payload[4 + k] = (byte)k;
                d.RemoveRange(at + 1, 4);
                d.InsertRange(at + 1, payload);
            }
        }
        return d.ToArray();
    }
}
