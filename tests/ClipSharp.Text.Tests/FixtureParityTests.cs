using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Text.Tests;

/// <summary>Token ids against the reference tokenizer's outputs in ../shared/fixtures.</summary>
public class FixtureParityTests
{
    private static readonly ClipTokenizer Tokenizer = ClipTokenizer.Default;

    internal static (string[] Texts, int[][] Ids) LoadTextsAndIds(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var ids = doc.RootElement.GetProperty("token_ids").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        Assert.Equal(texts.Length, ids.Length);
        return (texts, ids);
    }

    internal static List<string> Mismatches(ClipTokenizer tokenizer, string[] texts, int[][] expected)
    {
        var bad = new List<string>();
        for (int i = 0; i < texts.Length; i++)
        {
            var got = tokenizer.EncodeIds(texts[i]);
            if (!got.SequenceEqual(expected[i]))
                bad.Add($"line {i}: {JsonSerializer.Serialize(texts[i])}\n  expected [{string.Join(",", expected[i])}]\n  got      [{string.Join(",", got)}]");
        }
        return bad;
    }

    [Fact]
    public void EveryDevLineMatchesTheReference()
    {
        var (texts, ids) = LoadTextsAndIds(Fixtures.Path("tokenizer_dev.json"));
        Assert.Equal(2256, texts.Length);
        var bad = Mismatches(Tokenizer, texts, ids);
        Assert.True(bad.Count == 0, $"{bad.Count} of {texts.Length} lines differ:\n" + string.Join("\n", bad.Take(20)));
    }

    [Fact]
    public void VitTinyTextsMatchExpectedIds()
    {
        var (texts, ids) = LoadTextsAndIds(Fixtures.Path("vit-tiny", "expected.json"));
        var fromTextsJson = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Fixtures.Path("vit-tiny", "texts.json")))!;
        Assert.Equal(fromTextsJson, texts);
        var bad = Mismatches(Tokenizer, texts, ids);
        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    [Fact]
    public void VitTinyPaddedRowsMatchExpectedSafetensors()
    {
        var texts = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Fixtures.Path("vit-tiny", "texts.json")))!;
        var (shape, data) = SafetensorsReader.ReadInt32(Fixtures.Path("vit-tiny", "expected.safetensors"), "tokens");
        Assert.Equal(new long[] { texts.Length, 77 }, shape);
        Assert.Throws<ContextLengthException>(() => Tokenizer.Encode(texts, 77, truncate: false));
        var rows = Tokenizer.Encode(texts, 77, truncate: true);
        for (int t = 0; t < texts.Length; t++)
            for (int j = 0; j < 77; j++)
                Assert.True(data[t * 77 + j] == rows[t, j], $"text {t} position {j}: expected {data[t * 77 + j]}, got {rows[t, j]}");
    }

    [Fact]
    public void HuggingFaceFilesGiveTheSameIds()
    {
        var hf = ClipTokenizer.FromHuggingFace(Fixtures.Path("vit-tiny", "hf"));
        Assert.Equal(49408, hf.VocabularySize);
        Assert.Equal(49406, hf.StartOfText);
        Assert.Equal(49407, hf.EndOfText);
        var (texts, ids) = LoadTextsAndIds(Fixtures.Path("vit-tiny", "expected.json"));
        Assert.Empty(Mismatches(hf, texts, ids));
        var (dev, devIds) = LoadTextsAndIds(Fixtures.Path("tokenizer_dev.json"));
        Assert.Empty(Mismatches(hf, dev, devIds));
        var picked = ClipTokenizer.ForModelDirectory(Fixtures.Path("vit-tiny", "hf"));
        Assert.NotSame(ClipTokenizer.Default, picked);
        Assert.Same(ClipTokenizer.Default, ClipTokenizer.ForModelDirectory(Fixtures.Path("vit-tiny", "openai")));
    }
}
