using System.IO.Compression;
using ClipSharp.IO.Pickle;
using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>
/// The zip container shared by torch.save (since PyTorch 1.6) and TorchScript: <c>PREFIX/data.pkl</c>
/// (the pickled object), <c>PREFIX/data/KEY</c> (one raw little-endian storage per key),
/// <c>PREFIX/byteorder</c> (optional), and for TorchScript <c>PREFIX/code/</c> and <c>PREFIX/constants.pkl</c>.
/// Storages are converted to float32 straight from the entry stream in bounded chunks.
/// </summary>
internal sealed class TorchArchive : IDisposable
{
    private const int ChunkBytes = 1 << 20;

    /// <summary>Largest pickle (data.pkl, constants.pkl) read; real ones are well under 1 MB.</summary>
    public const int MaxPickleBytes = 64 << 20;

    /// <summary>Most zip entries accepted (ViT-L/14 as TorchScript has under 1,000), checked before the directory is read.</summary>
    public const long MaxEntries = 100_000;

    /// <summary>Largest central directory accepted (about 25,000 entries with long names).</summary>
    public const long MaxDirectoryBytes = 4 << 20;

    /// <summary>An entry may expand at most this much when inflated (torch.save stores entries uncompressed; deflated weights shrink ~1.1×).</summary>
    public const long MaxCompressionRatio = 32;


    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>The archive's top folder, e.g. "archive" or "model" (entries are PREFIX/...).</summary>
    public string Prefix { get; }

    private TorchArchive(string path, ZipArchive zip, string prefix)
    {
        Path = path;
        _zip = zip;
        Prefix = prefix;
        foreach (var e in zip.Entries) _entries[e.FullName] = e;
    }

    /// <summary>Opens the zip and locates <c>PREFIX/data.pkl</c>; a <see cref="CheckpointException"/> if it is not a torch archive.</summary>
    public static TorchArchive Open(string path)
    {
        ZipArchive zip;
        try
        {
            var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            try
            {
                ZipDirectory.CheckEntryCount(path, fs, MaxEntries, MaxDirectoryBytes);
            }
            catch
            {
                fs.Dispose();
                throw;
            }
            zip = new ZipArchive(fs, ZipArchiveMode.Read, leaveOpen: false);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(path, $"not a readable zip archive (truncated or corrupt): {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new CheckpointException(path, $"cannot open: {e.Message}", e);
        }
        string? prefix = null;
        foreach (var e in zip.Entries)
        {
            var name = e.FullName;
            if (!name.EndsWith("/data.pkl", StringComparison.Ordinal) && name != "data.pkl") continue;
            var p = name == "data.pkl" ? "" : name[..^"/data.pkl".Length];
            if (p.Contains('/')) continue;
            prefix = p;
            break;
        }
        if (prefix == null)
        {
            zip.Dispose();
            throw new CheckpointException(path, "zip archive has no 'PREFIX/data.pkl' entry; expected a torch.save or TorchScript archive");
        }
        var archive = new TorchArchive(path, zip, prefix);
        archive.CheckByteOrder();
        return archive;
    }

    /// <summary>Full entry name for a path relative to the prefix.</summary>
    public string EntryName(string relative) => Prefix.Length == 0 ? relative : $"{Prefix}/{relative}";

    public bool HasEntry(string relative) => _entries.ContainsKey(EntryName(relative));

    /// <summary>True when any entry lies under PREFIX/<paramref name="folder"/>/.</summary>
    public bool HasFolder(string folder)
    {
        var p = EntryName(folder) + "/";
        return _entries.Keys.Any(k => k.StartsWith(p, StringComparison.Ordinal));
    }

    /// <summary>The bytes of a small entry (pickles, code, byteorder).</summary>
    public byte[] ReadEntry(string relative, int maxBytes = 1 << 30)
    {
        var name = EntryName(relative);
        if (!_entries.TryGetValue(name, out var entry))
            throw new CheckpointException(Path, $"missing zip entry '{name}'");
        if (entry.Length > maxBytes)
            throw new CheckpointException(Path, $"zip entry '{name}' is {entry.Length} bytes; expected at most {maxBytes}");
        CheckExpansion(name, entry);
        try
        {
            using var s = entry.Open();
            var buffer = new byte[entry.Length];
            int read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            if (read != buffer.Length)
                throw new CheckpointException(Path, $"zip entry '{name}': read {read} bytes; expected {buffer.Length}");
            return buffer;
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(Path, $"zip entry '{name}' is corrupt: {e.Message}", e);
        }
    }

    /// <summary>
    /// Unpickles <c>PREFIX/<paramref name="pickle"/></c> with the given allow-list; persistent ids
    /// become <see cref="StorageRef"/>s for entries under <c>PREFIX/<paramref name="storageFolder"/>/</c>.
    /// No storage bytes are read here.
    /// </summary>
    public object? Unpickle(string pickle, PickleMode mode, string storageFolder = "data")
    {
        var bytes = ReadEntry(pickle, MaxPickleBytes);
        var entry = EntryName(pickle);
        return new Unpickler(Path, entry, bytes, mode, id => PersistentLoad(entry, storageFolder, id)).Load();
    }

    private StorageRef PersistentLoad(string entry, string folder, object? id)
    {
        if (id is not PyTuple { Count: 5 } t || t[0] is not "storage")
            throw new CheckpointException(Path, $"{entry}: persistent id {Unpickler.Describe(id)}; expected ('storage', type, key, location, numel)");
        if (t[1] is not PyGlobal { Kind: GlobalKind.StorageType } type)
            throw new CheckpointException(Path, $"{entry}: storage type {Unpickler.Describe(t[1])}; expected torch.HalfStorage, torch.FloatStorage, ...");
        if (t[2] is not string key || t[3] is not string location || t[4] is not long numel || numel < 0)
            throw new CheckpointException(Path, $"{entry}: malformed storage id (key {Unpickler.Describe(t[2])}, location {Unpickler.Describe(t[3])}, numel {Unpickler.Describe(t[4])})");
        if (numel > Array.MaxLength)
            throw new CheckpointException(Path, $"{entry}: storage '{key}' declares {numel} elements; expected at most {Array.MaxLength} (one array)");
        if (key.Contains('/') || key.Contains('\\') || key.Contains(".."))
            throw new CheckpointException(Path, $"{entry}: storage key '{key}' is not a plain name");
        string full = $"{folder}/{key}";
        if (_storages.TryGetValue(full, out var existing))
        {
            if (existing.DType != type.StorageDType || existing.Numel != numel)
                throw new CheckpointException(Path, $"{entry}: storage '{full}' is declared twice, as {existing.DType.Name()}×{existing.Numel} and {type.StorageDType.Name()}×{numel}");
            return existing;
        }
        var s = new StorageRef(type.StorageDType, full, location, numel);
        _storages[full] = s;
        return s;
    }

    /// <summary>Reads and converts a whole storage to float32; the entry must hold exactly numel × element size bytes.</summary>
    public float[] ReadStorage(StorageRef storage)
    {
        var name = EntryName(storage.Key);
        if (!_entries.TryGetValue(name, out var entry))
            throw new CheckpointException(Path, $"missing zip entry '{name}' for storage '{storage.Key}' ({storage.DType.Name()} × {storage.Numel}); the archive is incomplete");
        long expected = storage.Numel * storage.DType.Size();
        if (entry.Length != expected)
            throw new CheckpointException(Path, $"storage '{name}': entry holds {entry.Length} bytes; expected {storage.Numel} × {storage.DType.Size()} = {expected} ({storage.DType.Name()})");
        if (storage.Numel > Array.MaxLength)
            throw new CheckpointException(Path, $"storage '{name}': {storage.Numel} elements is more than one array can hold");
        CheckExpansion(name, entry);
        var result = new float[storage.Numel];
        int size = storage.DType.Size();
        var buffer = new byte[ChunkBytes / size * size];
        try
        {
            using var s = entry.Open();
            long done = 0;
            while (done < storage.Numel)
            {
                int want = (int)Math.Min(buffer.Length, (storage.Numel - done) * size);
                int read = s.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
                if (read != want)
                    throw new CheckpointException(Path, $"storage '{name}': entry ended after {done * size + read} bytes; expected {expected}");
                DTypeConversion.ToFloat32(storage.DType, buffer.AsSpan(0, want), result.AsSpan((int)done, want / size));
                done += want / size;
            }
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointException(Path, $"storage '{name}' is corrupt: {e.Message}", e);
        }
        return result;
    }

    /// <summary>
    /// Checks that <paramref name="t"/> (called <paramref name="name"/>) stays inside its storage, never
    /// repeats a storage element (stride-0 and other expanding views would materialise far more than the
    /// file holds) and has at most <see cref="Array.MaxLength"/> elements; returns its element count.
    /// Throws naming the tensor otherwise. All arithmetic is bounded: no product can wrap.
    /// </summary>
    public int CheckView(string name, TensorRef t)
    {
        string What() => $"tensor '{name}': shape {Tensor.FormatShape(t.Shape)} with strides ({string.Join(", ", t.Strides)}) at offset {t.Offset}";
        if (!Tensor.TryProduct(t.Shape, out int count))
            throw new CheckpointException(Path, $"tensor '{name}': shape {Tensor.FormatShape(t.Shape)} has more than {Array.MaxLength} elements");
        if (count == 0) return 0;
        long numel = t.Storage.Numel;
        if (t.Offset >= numel)
            throw new CheckpointException(Path, $"{What()} starts past the end of storage '{t.Storage.Key}' ({numel} elements)");
        // Dimensions of size > 1 by increasing stride: each stride must step past everything the smaller
        // ones span, or two indices land on one element.
        var dims = Enumerable.Range(0, t.Shape.Length).Where(i => t.Shape[i] > 1).OrderBy(i => t.Strides[i]).ToArray();
        long span = 1; // elements covered by the dims so far, from the first to the last, inclusive
        foreach (int i in dims)
        {
            if (t.Strides[i] < span)
                throw new CheckpointException(Path,
                    $"{What()} reads storage elements more than once (an expanding view, e.g. a stride-0 expand); refusing to materialise it");
            if (t.Strides[i] >= numel) // cannot fit even one step (and keeps the product below 2^62)
                throw new CheckpointException(Path, $"{What()} reaches past the end of storage '{t.Storage.Key}' ({numel} elements)");
            span += (t.Shape[i] - 1) * t.Strides[i];
            if (t.Offset + span > numel)
                throw new CheckpointException(Path, $"{What()} reaches element {t.Offset + span - 1} but storage '{t.Storage.Key}' holds {numel}");
        }
        return count;
    }

    /// <summary>Refuses an entry whose declared size is out of proportion to its compressed bytes (a zip bomb).</summary>
    private void CheckExpansion(string name, ZipArchiveEntry entry)
    {
        if (entry.Length > (64 << 10) + MaxCompressionRatio * entry.CompressedLength)
            throw new CheckpointException(Path,
                $"zip entry '{name}' inflates from {entry.CompressedLength} to {entry.Length} bytes (more than {MaxCompressionRatio}× its compressed size); refusing a compression bomb");
    }

    /// <summary>The file's size in bytes (what allocation budgets are measured against).</summary>
    public long FileLength => new FileInfo(Path).Length;

    /// <summary>
    /// A dense float32 tensor for view <paramref name="t"/> of an already converted storage: the storage
    /// array itself when the view is exactly the whole storage, else a compact copy.
    /// Rank-0 tensors become shape (1).
    /// </summary>
    public static Tensor View(TensorRef t, float[] storage)
    {
        var shape = t.Shape.Length == 0 ? [1] : t.Shape;
        var strides = t.Shape.Length == 0 ? [1] : t.Strides.Select(s => (int)Math.Min(s, int.MaxValue)).ToArray();
        var view = new Tensor(storage, checked((int)t.Offset), shape, strides);
        if (view.IsContiguous && t.Offset == 0 && view.Length == storage.Length) return view;
        return view.Clone();
    }

    private void CheckByteOrder()
    {
        if (!HasEntry("byteorder")) return;
        var order = System.Text.Encoding.ASCII.GetString(ReadEntry("byteorder", 64)).Trim();
        if (order != "little")
            throw new CheckpointException(Path, $"'{EntryName("byteorder")}' says '{order}'; expected 'little' (big-endian checkpoints are not supported)");
    }

    public void Dispose() => _zip.Dispose();
}
