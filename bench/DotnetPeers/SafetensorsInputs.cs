using System.Buffers.Binary;
using System.Text.Json;

/// <summary>The agreement inputs written by export_peers.py: pixel_values (N, 3, R, R) f32 and tokens (M, L) i32.</summary>
sealed record SafetensorsInputs(float[] Pixels, int ImageCount, int Resolution, long[] Tokens, int TextCount, int Context)
{
    public static SafetensorsInputs Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n));
        var data = bytes.AsMemory(8 + (int)n);
        (int[] shape, ReadOnlyMemory<byte> raw) Tensor(string name, string dtype)
        {
            var meta = header.RootElement.GetProperty(name);
            if (meta.GetProperty("dtype").GetString() != dtype) throw new InvalidDataException($"{path}: {name} is not {dtype}");
            var shape = meta.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = meta.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            return (shape, data[offsets[0]..offsets[1]]);
        }
        var (ps, praw) = Tensor("pixel_values", "F32");
        var (ts, traw) = Tensor("tokens", "I32");
        var pixels = new float[praw.Length / 4];
        var pb = praw.Span; var tb = traw.Span;
        for (int i = 0; i < pixels.Length; i++) pixels[i] = BinaryPrimitives.ReadSingleLittleEndian(pb[(4 * i)..]);
        var tokens = new long[traw.Length / 4];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = BinaryPrimitives.ReadInt32LittleEndian(tb[(4 * i)..]);
        return new(pixels, ps[0], ps[2], tokens, ts[0], ts[1]);
    }
}
