using System.IO.Compression;
using System.Text.Json;
using ClipSharp.Testing;
using Xunit.Abstractions;

namespace ClipSharp.Text.Tests;

/// <summary>
/// data/hard_corpus.json.gz: 4,000 generated lines (many scripts, mixed scripts, emoji sequences,
/// combining marks, controls, ligatures, mojibake in ten code pages, HTML entities, full-width,
/// odd whitespace) with the ids our Python reference harness (data/make_reference.py, running real
/// ftfy and regex) gives them.
/// </summary>
public class HardCorpusTests(ITestOutputHelper output)
{
    public const double RequiredExactRate = 0.999;

    internal static (string[] Texts, int[][] Ids) Load()
    {
        string path = Path.Combine(Fixtures.RepoRoot, "tests", "ClipSharp.Text.Tests", "data", "hard_corpus.json.gz");
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var doc = JsonDocument.Parse(gz);
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var ids = doc.RootElement.GetProperty("token_ids").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        return (texts, ids);
    }

    [Fact]
    public void AtLeast999PerMilleOfLinesMatchExactly()
    {
        var (texts, ids) = Load();
        Assert.True(texts.Length >= 3000, $"corpus has only {texts.Length} lines");
        var bad = FixtureParityTests.Mismatches(ClipTokenizer.Default, texts, ids);
        double rate = 1.0 - (double)bad.Count / texts.Length;
        output.WriteLine($"exact: {texts.Length - bad.Count}/{texts.Length} = {rate:P3}");
        foreach (var line in bad) output.WriteLine(line);
        Assert.True(rate >= RequiredExactRate, $"{bad.Count} of {texts.Length} lines differ ({rate:P3}):\n" + string.Join("\n", bad.Take(15)));
    }
}
