using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>One tensor to write: its name, values and the dtype to store them as.</summary>
public readonly record struct SafetensorsItem(string Name, Tensor Tensor, DType DType);

/// <summary>
/// Writes safetensors files atomically: the data goes to a temporary file in the target's directory,
/// is flushed to disk, then moved over the target, so readers never see a half-written file.
/// Tensors are converted in bounded chunks (no full-size byte copy).
/// </summary>
public static class SafetensorsWriter
{
    private const int ChunkElements = 1 << 18;

    /// <summary>Writes every tensor of <paramref name="stateDict"/> (in order) as <paramref name="dtype"/>;
    /// tensors stored as integers (I64, I32: e.g. num_batches_tracked) keep their integer dtype.</summary>
    public static void Write(string path, StateDict stateDict, DType dtype = DType.F32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var items = stateDict.Names.Select(n => new SafetensorsItem(n, stateDict[n], KeepInteger(stateDict.StoredDtype(n), dtype)));
        Write(path, items, metadata);
    }

    /// <summary>Writes the given tensors, in order, with optional <c>__metadata__</c> strings.</summary>
    public static void Write(string path, IEnumerable<SafetensorsItem> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var entries = new List<SafetensorsEntry>(list.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        long offset = 0;
        foreach (var item in list)
        {
            if (item.DType is not (DType.F32 or DType.F16 or DType.BF16 or DType.I64 or DType.I32))
                throw new ArgumentException($"tensor '{item.Name}': cannot write dtype {item.DType.Name()}; expected F32, F16, BF16, I64 or I32");
            if (item.Name == "__metadata__" || !names.Add(item.Name))
                throw new ArgumentException($"tensor name '{item.Name}' is reserved or appears twice");
            long bytes = (long)item.Tensor.Length * item.DType.Size();
            entries.Add(new SafetensorsEntry(item.Name, item.DType, (int[])item.Tensor.Shape.Clone(), offset, offset + bytes));
            offset += bytes;
        }
        var header = SafetensorsHeader.Serialize(entries, metadata);

        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BitConverter.TryWriteBytes(len, (ulong)header.Length);
                fs.Write(len);
                fs.Write(header);
                var buffer = new byte[ChunkElements * 8];
                foreach (var item in list) WriteData(fs, item, buffer);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }

    private static void WriteData(FileStream fs, SafetensorsItem item, byte[] buffer)
    {
        var values = item.Tensor.Contiguous().Span;
        int size = item.DType.Size();
        for (int at = 0; at < values.Length; at += ChunkElements)
        {
            int n = Math.Min(ChunkElements, values.Length - at);
            var dst = buffer.AsSpan(0, n * size);
            try
            {
                DTypeConversion.FromFloat32(item.DType, values.Slice(at, n), dst);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"tensor '{item.Name}': {e.Message}", e);
            }
            fs.Write(dst);
        }
    }

    private static DType KeepInteger(string stored, DType requested) =>
        stored is "I64" or "I32" && DTypes.TryParse(stored, out var d) ? d : requested;
}
