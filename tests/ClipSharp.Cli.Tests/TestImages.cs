namespace ClipSharp.Cli.Tests;

/// <summary>Images the CLI tests write on the fly.</summary>
internal static class TestImages
{
    /// <summary>A 24-bit bottom-up BMP whose pixels are a seeded pattern, distinct per seed.</summary>
    public static void WriteBmp(string path, int width, int height, int seed)
    {
        int stride = (width * 3 + 3) & ~3, size = 54 + stride * height;
        var b = new byte[size];
        void U16(int at, int v) => BitConverter.TryWriteBytes(b.AsSpan(at, 2), (ushort)v);
        void I32(int at, int v) => BitConverter.TryWriteBytes(b.AsSpan(at, 4), v);
        b[0] = (byte)'B'; b[1] = (byte)'M';
        I32(2, size); I32(10, 54); I32(14, 40); I32(18, width); I32(22, height);
        U16(26, 1); U16(28, 24); I32(34, stride * height);
        var rng = new Random(seed);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int at = 54 + y * stride + x * 3;
                b[at] = (byte)(x * 255 / width);
                b[at + 1] = (byte)((y * 7 + seed * 13) & 255);
                b[at + 2] = (byte)rng.Next(256);
            }
        File.WriteAllBytes(path, b);
    }
}
