using System.Text.Json;
using ClipSharp.IO;
using ClipSharp.Tensors;

namespace ClipSharp.Tests;

/// <summary>A deliberately simple, independent safetensors reader used as a test oracle.</summary>
internal static class TestSafetensors
{
    public static Dictionary<string, (string Dtype, int[] Shape, byte[] Bytes)> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BitConverter.ToInt64(bytes, 0);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var result = new Dictionary<string, (string, int[], byte[])>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__") continue;
            var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            result[prop.Name] = (prop.Value.GetProperty("dtype").GetString()!, shape,
                bytes.AsSpan((int)(8 + n + offsets[0]), (int)(offsets[1] - offsets[0])).ToArray());
        }
        return result;
    }

    public static float[] Floats(string dtype, byte[] b) => dtype switch
    {
        "F32" => Enumerable.Range(0, b.Length / 4).Select(i => BitConverter.ToSingle(b, i * 4)).ToArray(),
        "F16" => Enumerable.Range(0, b.Length / 2).Select(i => (float)BitConverter.ToHalf(b, i * 2)).ToArray(),
        "I32" => Enumerable.Range(0, b.Length / 4).Select(i => (float)BitConverter.ToInt32(b, i * 4)).ToArray(),
        "I64" => Enumerable.Range(0, b.Length / 8).Select(i => (float)BitConverter.ToInt64(b, i * 8)).ToArray(),
        _ => throw new NotSupportedException(dtype),
    };

    public static Tensor Tensor(string path, string name)
    {
        var (dtype, shape, bytes) = Read(path)[name];
        return new Tensor(Floats(dtype, bytes), shape);
    }

    public static int[] Ints(string path, string name)
    {
        var (dtype, _, bytes) = Read(path)[name];
        return dtype == "I32"
            ? Enumerable.Range(0, bytes.Length / 4).Select(i => BitConverter.ToInt32(bytes, i * 4)).ToArray()
            : Enumerable.Range(0, bytes.Length / 8).Select(i => (int)BitConverter.ToInt64(bytes, i * 8)).ToArray();
    }

    public static StateDict StateDict(string path)
    {
        var sd = new StateDict { Source = path, Format = "safetensors (test reader)" };
        foreach (var (name, (dtype, shape, bytes)) in Read(path)) sd.Add(name, new Tensor(Floats(dtype, bytes), shape), dtype);
        return sd;
    }
}
