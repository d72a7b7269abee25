using System.IO.MemoryMappedFiles;
using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>
/// A memory-mapped safetensors file. Tensors are converted straight from the mapping into float
/// (or int) arrays, so loading holds one copy of each tensor. Dispose to unmap.
/// </summary>
/// <example><code>
/// using var f = SafetensorsFile.Open("expected.safetensors");
/// int[] tokens = f.ReadInt32("tokens");          // I32 or I64 in the file
/// float[] pixels = f.ReadFloat32("pixel_values"); // any numeric dtype
/// </code></example>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private const int ChunkElements = 1 << 24;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>The parsed header.</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>Tensor names in header order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* basePtr, SafetensorsHeader header)
    {
        Path = path;
        _map = map;
        _view = view;
        _base = basePtr;
        Header = header;
        _byName = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
        Names = header.Entries.Select(e => e.Name).ToArray();
    }

    /// <summary>Maps <paramref name="path"/> and validates its header; a <see cref="CheckpointException"/> on any inconsistency.</summary>
    public static SafetensorsFile Open(string path)
    {
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"cannot open: {e.Message}", e);
        }
        long length = fs.Length;
        if (length < 8)
        {
            fs.Dispose();
            SafetensorsHeader.ReadHeaderLength(path, stackalloc byte[8], length);
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* ptr = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            ptr += view.PointerOffset;
            var all = new ReadOnlySpan<byte>(ptr, (int)Math.Min(length, int.MaxValue));
            long n = SafetensorsHeader.ReadHeaderLength(path, all, length);
            var header = SafetensorsHeader.Parse(path, all.Slice(8, (int)n), length);
            return new SafetensorsFile(path, map, view, ptr, header);
        }
        catch
        {
            if (ptr != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map?.Dispose();
            fs.Dispose();
            throw;
        }
    }

    /// <summary>True when the file holds a tensor called <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of <paramref name="name"/>; throws naming the file when absent.</summary>
    public SafetensorsEntry Entry(string name) => _byName.TryGetValue(name, out var e)
        ? e
        : throw new CheckpointException(Path, $"missing tensor '{name}' (the file has {_byName.Count}: {Preview()})");

    /// <summary>Shape of <paramref name="name"/>.</summary>
    public int[] Shape(string name) => (int[])Entry(name).Shape.Clone();

    /// <summary>Stored element type of <paramref name="name"/>.</summary>
    public DType Dtype(string name) => Entry(name).DType;

    /// <summary>Converts tensor <paramref name="name"/> to float32 into <paramref name="destination"/> (exactly its length).</summary>
    public void ReadFloat32(string name, Span<float> destination)
    {
        var e = Entry(name);
        if (destination.Length != e.Length)
            throw new CheckpointException(Path, $"tensor '{name}': destination holds {destination.Length} elements; expected {e.Length}");
        int size = e.DType.Size();
        for (long done = 0; done < e.Length; done += ChunkElements)
        {
            int count = (int)Math.Min(ChunkElements, e.Length - done);
            DTypeConversion.ToFloat32(e.DType, Bytes(e, done * size, count * size), destination.Slice((int)done, count));
        }
    }

    /// <summary>Tensor <paramref name="name"/> converted to float32 (new array, row-major).</summary>
    public float[] ReadFloat32(string name)
    {
        var result = new float[Entry(name).Length];
        ReadFloat32(name, result);
        return result;
    }

    /// <summary>Tensor <paramref name="name"/> as a float32 <see cref="Tensor"/> of its stored shape.</summary>
    public Tensor ReadTensor(string name) => new(ReadFloat32(name), Shape(name));

    /// <summary>Integer tensor <paramref name="name"/> (I32, or I64/I16/I8/U8/BOOL when every value fits in int32).</summary>
    public int[] ReadInt32(string name)
    {
        var e = Entry(name);
        var src = Bytes(e, 0, checked((int)e.ByteLength));
        var result = new int[e.Length];
        for (int i = 0; i < result.Length; i++)
        {
            long v = e.DType switch
            {
                DType.I32 => BitConverter.ToInt32(src.Slice(i * 4, 4)),
                DType.I64 => BitConverter.ToInt64(src.Slice(i * 8, 8)),
                DType.I16 => BitConverter.ToInt16(src.Slice(i * 2, 2)),
                DType.I8 => (sbyte)src[i],
                DType.U8 or DType.Bool => src[i],
                _ => throw new CheckpointException(Path, $"tensor '{name}': dtype {e.DType.Name()}; expected an integer dtype (I32, I64, I16, I8, U8, BOOL)"),
            };
            if (v is < int.MinValue or > int.MaxValue)
                throw new CheckpointException(Path, $"tensor '{name}': element {i} = {v} does not fit in int32");
            result[i] = (int)v;
        }
        return result;
    }

    /// <summary>The stored bytes of <paramref name="name"/>, copied (for dtypes the typed readers do not cover).</summary>
    public byte[] ReadBytes(string name)
    {
        var e = Entry(name);
        return Bytes(e, 0, checked((int)e.ByteLength)).ToArray();
    }

    private ReadOnlySpan<byte> Bytes(SafetensorsEntry e, long offset, int count)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        return new ReadOnlySpan<byte>(_base + Header.DataStart + e.Begin + offset, count);
    }

    private string Preview()
    {
        var names = Names.Take(5).Select(n => $"'{n}'");
        return string.Join(", ", names) + (Names.Count > 5 ? ", ..." : "");
    }

    public void Dispose()
    {
        if (_base == null) return;
        _base = null;
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _map?.Dispose();
    }
}
