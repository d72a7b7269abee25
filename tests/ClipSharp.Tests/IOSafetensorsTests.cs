using System.Text;
using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>Strict safetensors validation (one clear exception per defect) and writer round trips.</summary>
public class IOSafetensorsTests
{
    /// <summary>u64 length | header (padded with spaces to 8) | data.</summary>
    private static string WriteRaw(TempDir dir, string header, int dataBytes, ulong? lengthField = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var path = dir.File("bad.safetensors");
        using var fs = File.Create(path);
        fs.Write(BitConverter.GetBytes(lengthField ?? (ulong)json.Length));
        fs.Write(json);
        fs.Write(new byte[dataBytes]);
        return path;
    }

    private static CheckpointException Refused(string path, params string[] fragments)
    {
        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(path));
        Assert.Equal(path, ex.Source);
        Assert.StartsWith(path + ":", ex.Message);
        foreach (var f in fragments) Assert.Contains(f, ex.Message);
        return ex;
    }

    [Fact]
    public void TruncatedFileNamesTheFirstTensorPastTheEnd()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var path = dir.File("truncated.safetensors");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        // token_embedding.weight spans [1840898, 14489346) of a data section now ~7.2 MB long.
        Refused(path, "'token_embedding.weight'", "out of range", "data section holds");
    }

    [Fact]
    public void HeaderLengthPastEndOfFile()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{}", 0, lengthField: 1000);
        Refused(path, "header length field is 1000 bytes", "only 2 bytes follow");
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        using var dir = new TempDir();
        var path = dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Refused(path, "file is 3 bytes", "8-byte header length");
    }

    [Fact]
    public void InvalidJsonHeader()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{\"a\": {\"dtype\": \"F32\",,}", 0);
        Refused(path, "not valid JSON", "bytes 8..");
    }

    [Fact]
    public void UnknownDtype()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{\"w\":{\"dtype\":\"F8_E9M9\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        Refused(path, "tensor 'w'", "unknown dtype 'F8_E9M9'", "expected one of");
    }

    [Fact]
    public void ShapeDisagreesWithByteCount()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        Refused(path, "tensor 'w'", "(3) of F32 needs 12 bytes", "span 8");
    }

    [Fact]
    public void OverlappingOffsets()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12);
        Refused(path, "tensor 'b'", "overlap tensor 'a' [0, 8]", "expected begin >= 8");
    }

    [Fact]
    public void OffsetsOutOfRange()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 4);
        Refused(path, "tensor 'a'", "[0, 8] out of range", "holds 4 bytes");
    }

    [Fact]
    public void MisorderedOffsets()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8);
        Refused(path, "tensor 'a'", "misordered", "begin <= end");
    }

    [Fact]
    public void GapBetweenTensors()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        Refused(path, "tensor 'b'", "leave bytes [4, 8) unused", "expected begin = 4");
    }

    [Fact]
    public void DuplicateNames()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir,
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
        Refused(path, "key 'a' appears twice");
    }

    [Fact]
    public void TrailingBytesAfterLastTensor()
    {
        using var dir = new TempDir();
        var path = WriteRaw(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 6);
        Refused(path, "holds 6 bytes but tensors cover 4", "'a'");
    }

    private static List<SafetensorsItem> RandomTensors(DType dtype)
    {
        var rng = new Random(1234);
        Tensor Make(params int[] shape)
        {
            var t = new Tensor(shape);
            var s = t.Span;
            for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 8 - 4) * MathF.Pow(10, rng.Next(-6, 4));
            return t;
        }
        var scalar = new Tensor(new float[] { 4.6052f }, 1);
        return
        [
            new("w", Make(17, 33), dtype),
            new("b", Make(33), dtype),
            new("empty", new Tensor(0, 4), dtype),
            new("scale", scalar, dtype),
            new("conv", Make(8, 3, 5, 5), dtype),
            new("transposed", Make(6, 9).Transpose(0, 1), dtype), // non-contiguous source
        ];
    }

    [Theory]
    [InlineData(DType.F32)]
    [InlineData(DType.F16)]
    [InlineData(DType.BF16)]
    public void RoundTripIsExactUpToStorageRounding(DType dtype)
    {
        using var dir = new TempDir();
        var items = RandomTensors(dtype);
        var path = dir.File("rt.safetensors");
        SafetensorsWriter.Write(path, items, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "héllo <&>" });
        using var f = SafetensorsFile.Open(path);
        Assert.Equal(items.Select(i => i.Name), f.Names);
        Assert.Equal("héllo <&>", f.Metadata["note"]);
        foreach (var item in items)
        {
            Assert.Equal(item.Tensor.Shape, f.Shape(item.Name));
            Assert.Equal(dtype, f.Dtype(item.Name));
            var expected = item.Tensor.Contiguous().Span.ToArray();
            var actual = f.ReadFloat32(item.Name);
            for (int i = 0; i < expected.Length; i++)
            {
                float want = dtype switch
                {
                    DType.F32 => expected[i],
                    DType.F16 => (float)(Half)expected[i],
                    _ => BFloat16RoundTrip(expected[i]),
                };
                Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(actual[i]),
                    $"{item.Name}[{i}]: wrote {expected[i]:R}, read {actual[i]:R}, expected {want:R}");
                if (dtype == DType.F16 && Math.Abs(expected[i]) > 1e-4 && Math.Abs(expected[i]) < 6e4)
                    Assert.True(Math.Abs(actual[i] - expected[i]) <= Math.Abs(expected[i]) * (1.0 / 2048), "fp16 relative error above 2^-11");
            }
        }
        Assert.Single(Directory.GetFiles(dir.Path)); // the temporary file was moved, not left behind
    }

    /// <summary>Independent reference: round to nearest even on the 16 dropped bits using double arithmetic.</summary>
    private static float BFloat16RoundTrip(float x)
    {
        if (x == 0) return x;
        int exp = (int)Math.Floor(Math.Log2(Math.Abs((double)x)));
        double ulp = Math.Pow(2, exp - 7);
        double q = Math.Round(x / ulp, MidpointRounding.ToEven) * ulp;
        return (float)q;
    }

    [Fact]
    public void WriterOverwritesAtomicallyAndKeepsIntegerDtypes()
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        File.WriteAllText(path, "old contents");
        var sd = CheckpointLoader.Load(Fixtures.Path("rn-tiny", "openai", "model.safetensors"));
        SafetensorsWriter.Write(path, sd, DType.F16);
        var back = CheckpointLoader.Load(path);
        IOFixtureParityTests.AssertIdentical(sd, back); // F16 source written as F16: exact
        Assert.Equal("I64", back.StoredDtype("visual.bn1.num_batches_tracked"));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void FailedWriteLeavesTargetUntouched()
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        File.WriteAllText(path, "old contents");
        var bad = new List<SafetensorsItem> { new("a", new Tensor(new float[] { 1.5f }, 1), DType.I64) };
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path, bad));
        Assert.Equal("old contents", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Bf16ConversionIsExactWidening()
    {
        ushort[] src = [0x3F80, 0xC000, 0x7F80, 0x0001, 0x8000, 0x4049, 0x3F80, 0x3F80, 0x3F80, 0x3F80, 0x1234];
        var dst = new float[src.Length];
        DTypeConversion.BFloat16ToFloat32(src, dst);
        for (int i = 0; i < src.Length; i++)
            Assert.Equal((uint)src[i] << 16, BitConverter.SingleToUInt32Bits(dst[i]));
        Assert.Equal(1f, dst[0]);
        Assert.Equal(-2f, dst[1]);
        Assert.True(float.IsPositiveInfinity(dst[2]));
    }
}
