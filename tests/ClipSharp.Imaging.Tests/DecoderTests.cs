using System.Text.Json;
using ClipSharp.Imaging.Conversion;

namespace ClipSharp.Imaging.Tests;

/// <summary>
/// Every file in data/images decodes to exactly what Pillow 9.4 opens (mode, size, raw pixels) and
/// converts to the same RGB (references from data/make_reference.py).
/// </summary>
public class DecoderTests
{
    public static IEnumerable<object[]> Files() =>
        TestData.Json("decode_reference.json").EnumerateArray().Select(e => new object[] { e.GetProperty("file").GetString()! });

    private static JsonElement Entry(string file) =>
        TestData.Json("decode_reference.json").EnumerateArray().Single(e => e.GetProperty("file").GetString() == file);

    private static byte[] Slice(byte[] blob, JsonElement range) =>
        blob.AsSpan(range[0].GetInt32(), range[1].GetInt32()).ToArray();

    [Theory]
    [MemberData(nameof(Files))]
    public void Decode_MatchesPillow(string file)
    {
        var entry = Entry(file);
        var blob = System.IO.File.ReadAllBytes(TestData.File("decode_reference.bin"));
        var frame = ImageDecoder.Decode(TestData.File(Path.Combine("images", file)));

        Assert.Equal(TestData.ModeOf(entry.GetProperty("mode").GetString()!), frame.Mode);
        Assert.Equal(entry.GetProperty("width").GetInt32(), frame.Width);
        Assert.Equal(entry.GetProperty("height").GetInt32(), frame.Height);
        AssertBytes(Slice(blob, entry.GetProperty("pixels")), frame.Pixels, file + " pixels");
        AssertBytes(Slice(blob, entry.GetProperty("rgb")), RgbConverter.ToRgb(frame).Pixels, file + " RGB");
        if (file.StartsWith("png"))
            Assert.Equal(entry.GetProperty("orientation").GetInt32(), frame.ExifOrientation);
    }

    internal static void AssertBytes(byte[] expected, byte[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        int bad = -1, count = 0;
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i]) { if (bad < 0) bad = i; count++; }
        Assert.True(bad < 0, $"{what}: {count} bytes differ, first at {bad}: expected {(bad >= 0 ? expected[bad] : 0)}, got {(bad >= 0 ? actual[bad] : 0)}");
    }

    [Fact]
    public void Sniff_RecognisesMagicBytes()
    {
        Assert.Equal(ImageFormat.Png, ImageDecoder.Sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]));
        Assert.Equal(ImageFormat.Jpeg, ImageDecoder.Sniff([0xFF, 0xD8, 0xFF, 0xE0]));
        Assert.Equal(ImageFormat.Gif, ImageDecoder.Sniff("GIF89a..."u8));
        Assert.Equal(ImageFormat.Gif, ImageDecoder.Sniff("GIF87a..."u8));
        Assert.Equal(ImageFormat.Bmp, ImageDecoder.Sniff("BM......"u8));
        Assert.Equal(ImageFormat.Unknown, ImageDecoder.Sniff("RIFF....WEBP"u8));
        Assert.Equal(ImageFormat.Unknown, ImageDecoder.Sniff([]));
    }

    [Fact]
    public void UnknownFormat_ThrowsNamingTheFile()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode("RIFF\0\0\0\0WEBPVP8 "u8, "photo.webp"));
        Assert.StartsWith("photo.webp: ", e.Message);
        Assert.Contains("unrecognised", e.Message);
    }

    [Fact]
    public void PngBadCrc_ThrowsWithChunkAndOffset()
    {
        var bytes = System.IO.File.ReadAllBytes(TestData.File("images/png_c2_d8.png"));
        bytes[8 + 8 + 5] ^= 0x01; // inside the IHDR data
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(bytes, "x.png"));
        Assert.Contains("bad CRC in chunk IHDR at offset 8", e.Message);
        Assert.StartsWith("x.png: ", e.Message);
    }

    [Fact]
    public void PngTruncated_SaysTruncated()
    {
        var bytes = System.IO.File.ReadAllBytes(TestData.File("images/png_pillow_rgb.png"));
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(bytes.AsSpan(0, bytes.Length / 2), "half.png"));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => ImageDecoder.Decode(Path.Combine(TestData.Dir, "no-such-image.png")));
    }

    [Fact]
    public void GifWithoutImage_Throws()
    {
        byte[] gif = [.. "GIF89a"u8, 1, 0, 1, 0, 0, 0, 0, 0x3B];
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(gif, "empty.gif"));
        Assert.Contains("before any image", e.Message);
    }
}
