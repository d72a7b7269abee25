using System.Text.Json;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp classify` against the reference zero-shot probabilities (80 OpenAI templates).</summary>
[Collection("Console")]
public class ClassifyCommandTests
{
    [Fact]
    public void ProbabilitiesMatchTheReferenceWithin1e4()
    {
        using var tmp = new CliHarness.TempDir();
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", tmp.Path);
        var zs = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("vit-tiny", "zeroshot.json"))).RootElement;
        var labels = zs.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var names = zs.GetProperty("images").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = zs.GetProperty("probs").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var labelsFile = tmp.File("labels.txt");
        File.WriteAllLines(labelsFile, labels);
        var (code, stdout, err) = CliHarness.Run(["classify", .. names.Select(n => Fixtures.Path("vit-tiny", "images", n)),
            "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"), "--labels-file", labelsFile, "--templates", "openai", "--json"]);
        Assert.True(code == 0, err);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal(names.Length, lines.Length);
        for (int i = 0; i < names.Length; i++)
        {
            var row = JsonDocument.Parse(lines[i]).RootElement;
            Assert.EndsWith(names[i], row.GetProperty("image").GetString());
            var probs = row.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            for (int k = 0; k < labels.Length; k++)
                Assert.True(Math.Abs(probs[k] - expected[i][k]) <= 1e-4, $"{names[i]} / {labels[k]}: {probs[k]} vs {expected[i][k]}");
        }
        // Second run reads the cached classifier and agrees exactly.
        var (code2, stdout2, _) = CliHarness.Run(["classify", Fixtures.Path("vit-tiny", "images", names[0]),
            "--model", Fixtures.Path("vit-tiny", "openai", "model.safetensors"), "--labels-file", labelsFile, "--json"]);
        Assert.Equal(0, code2);
        Assert.Equal(lines[0], stdout2.Trim());
        Assert.Single(Directory.GetFiles(Path.Combine(tmp.Path, "clipsharp", "zeroshot")));
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
    }
}
