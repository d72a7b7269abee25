using System.Buffers.Binary;
using System.Text.Json;
using ClipSharp.Imaging.Resampling;
using ClipSharp.Testing;

namespace ClipSharp.Imaging.Tests;

/// <summary>Locates the committed reference data and reads the small formats the tests need.</summary>
internal static class TestData
{
    public static string Dir => Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Imaging.Tests", "data");

    public static string File(string name)
    {
        var p = Path.Combine(Dir, name);
        if (!System.IO.File.Exists(p))
            throw new FileNotFoundException($"test reference data missing: {p} (regenerate with data/make_reference.py)", p);
        return p;
    }

    public static JsonElement Json(string name) => JsonFile(File(name));

    public static JsonElement JsonFile(string path) => JsonDocument.Parse(System.IO.File.ReadAllBytes(path)).RootElement;

    public static PixelMode ModeOf(string pillowMode) => pillowMode switch
    {
        "1" => PixelMode.Bilevel,
        "L" => PixelMode.L,
        "LA" => PixelMode.LA,
        "RGB" => PixelMode.Rgb,
        "RGBA" => PixelMode.Rgba,
        "P" => PixelMode.P,
        "I" => PixelMode.I32,
        "CMYK" => PixelMode.Cmyk,
        _ => throw new ArgumentException($"no PixelMode for Pillow mode {pillowMode}"),
    };

    public static ResampleFilter FilterOf(string name) => name switch
    {
        "bicubic" => ResampleFilter.Bicubic,
        "bilinear" => ResampleFilter.Bilinear,
        "lanczos" => ResampleFilter.Lanczos,
        "box" => ResampleFilter.Box,
        "hamming" => ResampleFilter.Hamming,
        _ => throw new ArgumentException(name),
    };

    /// <summary>Reads one F32 tensor from a safetensors file: (shape, values).</summary>
    public static (long[] Shape, float[] Values) ReadSafetensorsF32(string path, string key)
    {
        var bytes = System.IO.File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        var header = JsonDocument.Parse(bytes.AsMemory(8, (int)n)).RootElement;
        var t = header.GetProperty(key);
        Assert.Equal("F32", t.GetProperty("dtype").GetString());
        var shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var off = t.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var values = new float[(off[1] - off[0]) / 4];
        Buffer.BlockCopy(bytes, (int)(8 + n + off[0]), values, 0, values.Length * 4);
        return (shape, values);
    }
}

/// <summary>The generator make_reference.py uses: state = (state·1103515245 + 12345) mod 2^31, byte = (state >> 16) &amp; 255.</summary>
internal sealed class Lcg(int seed)
{
    private long _state = seed & 0x7FFFFFFF;

    public byte Next()
    {
        _state = (_state * 1103515245 + 12345) & 0x7FFFFFFF;
        return (byte)((_state >> 16) & 0xFF);
    }

    public byte[] Bytes(int n)
    {
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = Next();
        return b;
    }
}
