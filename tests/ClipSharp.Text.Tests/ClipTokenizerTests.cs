using ClipSharp.Testing;

namespace ClipSharp.Text.Tests;

public class ClipTokenizerTests
{
    private static readonly ClipTokenizer Tok = ClipTokenizer.Default;

    [Fact]
    public void VocabularyHasClipsSizeAndMarkers()
    {
        Assert.Equal(49408, Tok.VocabularySize);
        Assert.Equal(49406, Tok.StartOfText);
        Assert.Equal(49407, Tok.EndOfText);
        Assert.Equal("<|startoftext|>", Tok.Vocabulary.TokenOf(49406));
        Assert.Equal("a</w>", Tok.Vocabulary.TokenOf(320));
    }

    [Fact]
    public void EmbeddedVocabularyEqualsTheSharedFile()
    {
        var fromFile = ClipTokenizer.FromMergesFile(Fixtures.Data("bpe_simple_vocab_16e6.txt.gz"));
        for (int id = 0; id < fromFile.VocabularySize; id += 97)
            Assert.Equal(fromFile.Vocabulary.TokenOf(id), Tok.Vocabulary.TokenOf(id));
        Assert.Equal(fromFile.EncodeIds("a photo of a dog"), Tok.EncodeIds("a photo of a dog"));
    }

    [Fact]
    public void RowsAreSotIdsEotAndZeroPadding()
    {
        var rows = Tok.Encode(["a photo of a cat", ""], context: 10);
        Assert.Equal(new[] { 49406, 320, 1125, 539, 320, 2368, 49407, 0, 0, 0 }, Row(rows, 0));
        Assert.Equal(new[] { 49406, 49407, 0, 0, 0, 0, 0, 0, 0, 0 }, Row(rows, 1));
        Span<int> row = stackalloc int[10];
        Assert.Equal(6, Tok.EncodeRow("a photo of a cat", row));
    }

    [Fact]
    public void OverLongTextsFailUnlessTruncated()
    {
        string text = "one two three four five six seven";  // 7 ids + sot/eot = 9
        var e = Assert.Throws<ContextLengthException>(() => Tok.Encode(["ok", text], context: 8));
        Assert.Equal(1, e.TextIndex);
        Assert.Equal(9, e.TokenCount);
        Assert.Contains("text 1", e.Message);
        Tok.Encode([text], context: 9);  // exactly full is fine
        var rows = Tok.Encode([text], context: 8, truncate: true);
        var ids = Tok.EncodeIds(text);
        Assert.Equal([49406, .. ids.Take(6), 49407], Row(rows, 0));
    }

    [Fact]
    public void ChunksCoverEveryIdInOrderWithMarkers()
    {
        string text = string.Join(" ", Enumerable.Range(0, 60).Select(i => $"word{i} pneumonoultramicroscopic"));
        var ids = Tok.EncodeIds(text);
        Assert.True(ids.Count > 150);
        var chunks = Tok.Chunk(text, 77);
        Assert.True(chunks.Length >= 3);
        var joined = new List<int>();
        foreach (var row in chunks)
        {
            Assert.Equal(77, row.Length);
            Assert.Equal(49406, row[0]);
            int eot = Array.IndexOf(row, 49407);
            Assert.True(eot > 1 && row.Skip(eot + 1).All(v => v == 0));
            joined.AddRange(row[1..eot]);
            // windows end on a word boundary ("</w>") unless cut at capacity
            Assert.True(Tok.Vocabulary.TokenOf(row[eot - 1]).EndsWith("</w>") || eot == 76);
        }
        Assert.Equal(ids, joined);
        Assert.Single(Tok.Chunk("", 77));
        Assert.Single(Tok.Chunk("a photo of a cat", 77));
    }

    [Fact]
    public void DecodeRoundTripsCleanedText()
    {
        var (texts, _) = FixtureParityTests.LoadTextsAndIds(Fixtures.Path("tokenizer_dev.json"));
        foreach (var text in texts.Take(500).Append("café crème brûlée 🐱🚀 猫の写真 фотография"))
        {
            string decoded = Tok.Decode(Tok.EncodeIds(text).ToArray());
            Assert.Equal(Tok.Clean(text).Replace(" ", ""), decoded.Replace(" ", ""));
        }
        Assert.Equal("a photo of a cat . ", Tok.Decode([320, 1125, 539, 320, 2368, 269]));
    }

    [Fact]
    public void ConcurrentEncodingGivesTheSameIds()
    {
        var (texts, ids) = HardCorpusTests.Load();
        var fresh = ClipTokenizer.CreateDefault();  // empty cache, so threads race to fill it
        var failures = new System.Collections.Concurrent.ConcurrentBag<int>();
        Parallel.For(0, texts.Length * 2, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            int i = (k * 7919) % texts.Length;
            if (!fresh.EncodeIds(texts[i]).SequenceEqual(ids[i])) failures.Add(i);
        });
        Assert.Empty(failures);
    }

    private static int[] Row(int[,] rows, int r) => Enumerable.Range(0, rows.GetLength(1)).Select(j => rows[r, j]).ToArray();
}
