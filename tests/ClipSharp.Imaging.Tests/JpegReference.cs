using System.IO.Compression;
using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// The reference decodes made by data/make_jpeg_reference.py (Pillow 9.4 on libjpeg-turbo 2.1): one
/// manifest entry per (file, draft scale) with Pillow's size, mode and pixels.
/// </summary>
public sealed record JpegReferenceEntry(string Label, string Path, int Scale, int Width, int Height, string Mode,
    int Orientation, string ReferencePath)
{
    public override string ToString() => Label;

    public static string DataDir => System.IO.Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Imaging.Tests", "data", "jpeg");

    public static IReadOnlyList<JpegReferenceEntry> All { get; } = Load();

    private static List<JpegReferenceEntry> Load()
    {
        string manifest = System.IO.Path.Combine(DataDir, "manifest.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        var list = new List<JpegReferenceEntry>();
        foreach (var e in doc.RootElement.GetProperty("entries").EnumerateArray())
        {
            string path = e.TryGetProperty("fixture", out var fx)
                ? Fixtures.Path("vit-tiny", "images", fx.GetString()!)
                : System.IO.Path.Combine(DataDir, e.GetProperty("file").GetString()!);
            int scale = e.GetProperty("scale").GetInt32();
            string name = e.TryGetProperty("fixture", out var f2) ? "fixture:" + f2.GetString() : e.GetProperty("file").GetString()!;
            list.Add(new JpegReferenceEntry($"{name}@1/{scale}", path, scale,
                e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32(), e.GetProperty("mode").GetString()!,
                e.GetProperty("orientation").GetInt32(), System.IO.Path.Combine(DataDir, e.GetProperty("reference").GetString()!)));
        }
        if (list.Count == 0) throw new InvalidDataException($"{manifest} lists no entries");
        return list;
    }

    public int BytesPerPixel => Mode switch { "L" => 1, "RGB" => 3, "CMYK" => 4, _ => throw new InvalidDataException(Mode) };

    /// <summary>Pillow's pixels: gunzip, then undo the per-row Sub filter.</summary>
    public byte[] LoadPixels()
    {
        using var gz = new GZipStream(File.OpenRead(ReferencePath), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        byte[] p = ms.ToArray();
        int bpp = BytesPerPixel, stride = Width * bpp;
        if (p.Length != stride * Height)
            throw new InvalidDataException($"{ReferencePath}: {p.Length} bytes, expected {stride * Height}");
        for (int y = 0; y < Height; y++)
            for (int i = y * stride + bpp; i < (y + 1) * stride; i++)
                p[i] = (byte)(p[i] + p[i - bpp]);
        return p;
    }
}
