using System.Buffers.Binary;
using System.Text.Json;

namespace ClipSharp.Text.Tests;

/// <summary>Just enough safetensors to read one int32 tensor: u64 LE header length, JSON header, raw bytes.</summary>
internal static class SafetensorsReader
{
    public static (long[] Shape, int[] Data) ReadInt32(string path, string name)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        if (!header.RootElement.TryGetProperty(name, out var entry))
            throw new InvalidDataException($"{path}: no tensor named {name}");
        string dtype = entry.GetProperty("dtype").GetString()!;
        if (dtype != "I32") throw new InvalidDataException($"{path}: tensor {name} is {dtype}, expected I32");
        var shape = entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var offsets = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        long begin = 8 + headerLength + offsets[0], end = 8 + headerLength + offsets[1];
        var data = new int[(end - begin) / 4];
        for (int i = 0; i < data.Length; i++)
            data[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)(begin + 4 * i), 4));
        return (shape, data);
    }
}
