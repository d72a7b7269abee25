using System.IO.Compression;
using System.Text.Json;
using ClipSharp.Testing;
using ClipSharp.Text.SentencePiece;
using Xunit;

namespace ClipSharp.Text.Tests;

/// <summary>
/// Id-for-id parity with python3-sentencepiece 0.1.97 on the models and lines that
/// tests/reference/make_spm_fixtures.py writes into data/spm (committed). Missing data fails.
/// </summary>
public class SentencePieceParityTests
{
    private static string DataDir => Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Text.Tests", "data", "spm");

    private static (string Text, int[] Ids)[] Lines(string name)
    {
        string path = Path.Combine(DataDir, name + "_ids.jsonl.gz");
        if (!File.Exists(path)) throw new FileNotFoundException($"fixture missing: {path}; run /usr/bin/python3 tests/reference/make_spm_fixtures.py", path);
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var list = new List<(string, int[])>();
        string? line;
        while ((line = reader.ReadLine()) != null)
        {
            using var doc = JsonDocument.Parse(line);
            list.Add((doc.RootElement.GetProperty("text").GetString()!,
                      doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray()));
        }
        return list.ToArray();
    }

    [Theory]
    [InlineData("unigram", SpmModelType.Unigram)]
    [InlineData("bpe", SpmModelType.Bpe)]
    public void IdsMatchPythonSentencePiece(string name, SpmModelType type)
    {
        var sp = SentencePieceProcessor.Load(Path.Combine(DataDir, name + ".model"));
        Assert.Equal(type, sp.Model.Trainer.ModelType);
        var lines = Lines(name);
        Assert.True(lines.Length >= 5000, $"{name}: only {lines.Length} fixture lines");
        var failures = new List<string>();
        int bad = 0;
        foreach (var (text, ids) in lines)
        {
            var got = sp.EncodeIds(text);
            if (got.AsSpan().SequenceEqual(ids)) continue;
            if (++bad <= 5)
                failures.Add($"{JsonSerializer.Serialize(text)}\n  norm {JsonSerializer.Serialize(sp.Normalize(text))}\n  want [{string.Join(",", ids)}]\n  got  [{string.Join(",", got)}]");
        }
        Assert.True(bad == 0, $"{name}: {bad}/{lines.Length} lines differ\n" + string.Join("\n", failures));
    }

    [Fact]
    public void BpeModelHasFullByteTable()
    {
        var sp = SentencePieceProcessor.Load(Path.Combine(DataDir, "bpe.model"));
        Assert.True(sp.ByteFallback);
        Assert.Equal(256, sp.Model.Pieces.Count(p => p.Type == PieceType.Byte));
        // A character outside the vocabulary becomes its UTF-8 bytes.
        var ids = sp.EncodeIds("\U0001D11E");
        Assert.Equal(["<0xF0>", "<0x9D>", "<0x84>", "<0x9E>"], ids.Select(sp.IdToPiece));
    }

    [Fact]
    public void CorruptModelIsOneClearError()
    {
        var ex = Assert.Throws<InvalidDataException>(() => ModelProto.Parse([0x0A, 0x05, 0x01], "bad.model"));
        Assert.Contains("bad.model", ex.Message);
    }
}

public class SiglipTokenizerTests
{
    private static string DataDir => Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Text.Tests", "data", "spm");

    [Fact]
    public void SiglipRowIsLowerCanonicalIdsEosThenPad()
    {
        var sp = SentencePieceProcessor.Load(Path.Combine(DataDir, "unigram.model"));
        var tok = new SiglipTokenizer(sp, siglip1: true, lowerCase: true, addBos: false, addEos: true, contextLength: 64, padId: sp.EosId);
        Assert.Equal("A photo of a cat", SiglipTokenizer.Canonicalize("  A photo, of a  cat!\t"));
        var row = new int[64];
        int pool = tok.EncodeRow("A PHOTO, of   a cat!", row);
        Assert.Equal(63, pool);
        // Equal to the model's own ids of the canonical lower-cased text (dummy prefix as "▁"), then eos, then pads.
        var ids = sp.EncodeIds("a photo of a cat");
        Assert.Equal(ids, row[..ids.Length]);
        Assert.Equal(sp.EosId, row[ids.Length]);
        Assert.All(row[(ids.Length + 1)..], v => Assert.Equal(sp.EosId, v));
        Assert.Throws<ContextLengthException>(() => tok.EncodeRow(string.Join(" ", Enumerable.Repeat("xq zv", 80)), row));
        tok.EncodeRow(string.Join(" ", Enumerable.Repeat("xq zv", 80)), row, truncate: true);
        Assert.Equal(sp.EosId, row[63]);
    }
}
