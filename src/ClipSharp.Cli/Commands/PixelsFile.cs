using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// A minimal safetensors writer for one float32 tensor, streamed row by row: 8-byte little-endian header
/// length, a JSON header {key: {dtype "F32", shape, data_offsets [0, bytes]}, "__metadata__": {...}} padded
/// with spaces to a multiple of 8 bytes, then the little-endian data. (Stand-in until the library's
/// safetensors writer is wired into the CLI.)
/// </summary>
internal sealed class PixelsFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly long _expectedFloats;
    private long _written;

    public PixelsFile(string path, string key, long[] shape, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors writing needs a little-endian host");
        _expectedFloats = shape.Aggregate(1L, (a, b) => a * b);
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        header[key] = new Dictionary<string, object>
        {
            ["dtype"] = "F32",
            ["shape"] = shape,
            ["data_offsets"] = new[] { 0L, _expectedFloats * 4 },
        };
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 7) / 8 * 8;
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> len = stackalloc byte[8];
        BitConverter.TryWriteBytes(len, (ulong)padded);
        _stream.Write(len);
        _stream.Write(json);
        for (int i = json.Length; i < padded; i++) _stream.WriteByte((byte)' ');
    }

    /// <summary>Appends the next values in row-major order.</summary>
    public void Append(ReadOnlySpan<float> values)
    {
        if (_written + values.Length > _expectedFloats)
            throw new InvalidOperationException($"safetensors writer: {_written + values.Length} floats exceed the declared {_expectedFloats}");
        _stream.Write(MemoryMarshal.AsBytes(values));
        _written += values.Length;
    }

    /// <summary>Flushes; throws if fewer values were appended than the shape declares.</summary>
    public void Complete()
    {
        if (_written != _expectedFloats)
            throw new InvalidOperationException($"safetensors writer: wrote {_written} floats, the shape declares {_expectedFloats}");
        _stream.Flush();
    }

    public void Dispose() => _stream.Dispose();
}
