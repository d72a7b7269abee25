using System.Text.Encodings.Web;
using System.Text.Json;
using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>One tensor's entry in a safetensors header: byte range relative to the data section.</summary>
public sealed record SafetensorsEntry(string Name, DType DType, int[] Shape, long Begin, long End)
{
    /// <summary>Number of elements.</summary>
    public int Length => Tensor.Product(Shape);

    /// <summary>Bytes in the data section.</summary>
    public long ByteLength => End - Begin;
}

/// <summary>
/// The parsed and validated header of a safetensors file:
/// <c>u64 N (little-endian) | N bytes of JSON | data</c>, the JSON mapping each name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> plus an optional <c>__metadata__</c> of strings.
/// Validation is strict: every inconsistency throws a <see cref="CheckpointException"/> naming the file,
/// the key and what was expected versus found.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>
    /// Largest header we accept. The reference allows 100 MB, but parsing that much JSON costs several
    /// times its size in memory; CLIP headers are ~50 KB and the largest LLM headers ~2 MB.
    /// </summary>
    public const long MaxHeaderBytes = 16 << 20;

    /// <summary>Entries in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> strings (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Offset of the data section from the start of the file (8 + header length).</summary>
    public long DataStart { get; }

    private SafetensorsHeader(List<SafetensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>
    /// Reads the 8-byte length prefix; throws unless the header fits inside a file of
    /// <paramref name="fileLength"/> bytes. Returns the header's byte length.
    /// </summary>
    public static long ReadHeaderLength(string source, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < 8)
            throw new CheckpointException(source, $"file is {fileLength} bytes; a safetensors file starts with an 8-byte header length");
        ulong n = BitConverter.ToUInt64(prefix[..8]);
        if (n > (ulong)MaxHeaderBytes)
            throw new CheckpointException(source, $"header length field is {n} bytes (at byte 0); expected at most {MaxHeaderBytes}");
        if ((long)n > fileLength - 8)
            throw new CheckpointException(source, $"header length field is {n} bytes (at byte 0) but only {fileLength - 8} bytes follow it: file truncated or not safetensors");
        if (n < 2)
            throw new CheckpointException(source, $"header length field is {n} bytes; expected a JSON object of at least 2 bytes");
        return (long)n;
    }

    /// <summary>Parses and validates <paramref name="json"/>, the header of a file of <paramref name="fileLength"/> bytes.</summary>
    public static SafetensorsHeader Parse(string source, ReadOnlySpan<byte> json, long fileLength)
    {
        long dataStart = 8 + json.Length;
        long dataLength = fileLength - dataStart;
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            int bad = FirstInvalidUtf8(json);
            throw new CheckpointException(source, $"header (bytes 8..{dataStart}) is not valid UTF-8 (first bad byte at {8 + bad}); expected UTF-8 JSON");
        }
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new CheckpointException(source, $"header (bytes 8..{dataStart}) is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(source, $"header: expected a JSON object, found {root.ValueKind}");
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new CheckpointException(source, $"header: key '{prop.Name}' appears twice; expected unique tensor names");
                if (prop.Name == "__metadata__")
                    ReadMetadata(source, prop.Value, metadata);
                else
                    entries.Add(ReadEntry(source, prop.Name, prop.Value));
            }
            CheckOffsets(source, entries, dataLength);
            return new SafetensorsHeader(entries, metadata, dataStart);
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? bytes.Length : read;
    }

    private static void ReadMetadata(string source, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(source, $"header: '__metadata__' must be an object of strings, found {value.ValueKind}");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException(source, $"header: '__metadata__.{m.Name}' must be a string, found {m.Value.ValueKind}");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string source, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(source, $"tensor '{name}': expected an object with dtype, shape, data_offsets; found {value.ValueKind}");
        if (!value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new CheckpointException(source, $"tensor '{name}': missing string field 'dtype'");
        string dtypeName = dt.GetString()!;
        if (!DTypes.TryParse(dtypeName, out var dtype))
            throw new CheckpointException(source, $"tensor '{name}': unknown dtype '{dtypeName}'; expected one of F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL");
        var shape = ReadInts(source, name, value, "shape", -1);
        var offsets = ReadLongs(source, name, value, "data_offsets", 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end)
            throw new CheckpointException(source, $"tensor '{name}': data_offsets [{begin}, {end}] are misordered; expected begin <= end");
        long elements = 1;
        foreach (var d in shape)
        {
            elements *= d;
            if (elements > Array.MaxLength)
                throw new CheckpointException(source, $"tensor '{name}': shape {Tensor.FormatShape(shape)} has more than {Array.MaxLength} elements");
        }
        long expectedBytes = elements * dtype.Size();
        if (expectedBytes != end - begin)
            throw new CheckpointException(source,
                $"tensor '{name}': shape {Tensor.FormatShape(shape)} of {dtype.Name()} needs {expectedBytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static int[] ReadInts(string source, string name, JsonElement value, string field, int count)
    {
        var longs = ReadLongs(source, name, value, field, count);
        var result = new int[longs.Length];
        for (int i = 0; i < longs.Length; i++)
        {
            if (longs[i] > int.MaxValue)
                throw new CheckpointException(source, $"tensor '{name}': {field}[{i}] = {longs[i]} is larger than {int.MaxValue}");
            result[i] = (int)longs[i];
        }
        return result;
    }

    private static long[] ReadLongs(string source, string name, JsonElement value, string field, int count)
    {
        if (!value.TryGetProperty(field, out var arr) || arr.ValueKind != JsonValueKind.Array)
            throw new CheckpointException(source, $"tensor '{name}': missing array field '{field}'");
        int n = arr.GetArrayLength();
        if (count >= 0 && n != count)
            throw new CheckpointException(source, $"tensor '{name}': '{field}' has {n} values; expected {count}");
        var result = new long[n];
        int i = 0;
        foreach (var e in arr.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v) || v < 0)
                throw new CheckpointException(source, $"tensor '{name}': {field}[{i}] = {e.GetRawText()}; expected a non-negative integer");
            result[i++] = v;
        }
        return result;
    }

    /// <summary>
    /// Sorted by position, the byte ranges must tile the data section exactly: no overlap, no gap,
    /// nothing past its end, nothing left over (as the reference implementation requires).
    /// </summary>
    private static void CheckOffsets(string source, List<SafetensorsEntry> entries, long dataLength)
    {
        foreach (var e in entries)
        {
            if (e.End > dataLength)
                throw new CheckpointException(source,
                    $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] out of range; the data section holds {dataLength} bytes (file truncated?)");
        }
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long at = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin < at)
                throw new CheckpointException(source,
                    $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]; expected begin >= {at}");
            if (e.Begin > at)
                throw new CheckpointException(source,
                    $"tensor '{e.Name}': data_offsets [{e.Begin}, {e.End}] leave bytes [{at}, {e.Begin}) unused; expected begin = {at}");
            at = e.End;
            previous = e;
        }
        if (at != dataLength)
            throw new CheckpointException(source,
                $"data section holds {dataLength} bytes but tensors cover {at}; expected them to match (trailing bytes after '{previous?.Name ?? "(no tensors)"}')");
    }

    /// <summary>Serialises a header with 8-byte alignment padding (spaces), returning the JSON bytes.</summary>
    public static byte[] Serialize(IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata) w.WriteString(k, v);
                w.WriteEndObject();
            }
            foreach (var e in entries)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.DType.Name());
                w.WriteStartArray("shape");
                foreach (var d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(e.Begin);
                w.WriteNumberValue(e.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        var json = ms.ToArray();
        int padded = (json.Length + 7) / 8 * 8;
        if (padded == json.Length) return json;
        var result = new byte[padded];
        json.CopyTo(result, 0);
        result.AsSpan(json.Length).Fill((byte)' ');
        return result;
    }
}
