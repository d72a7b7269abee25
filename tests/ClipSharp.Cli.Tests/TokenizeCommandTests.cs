using System.CommandLine;
using ClipSharp.Cli.Commands;
using ClipSharp.Cli;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

public class TokenizeCommandTests
{
    /// <summary>Runs `tokenize ARGS` with output captured (exceptions propagate, as CliRunner sees them).</summary>
    private static string Run(params string[] args)
    {
        var root = new RootCommand();
        root.Subcommands.Add(TokenizeCommand.Create());
        var output = new StringWriter();
        int rc = root.Parse(["tokenize", .. args]).Invoke(new InvocationConfiguration { Output = output, EnableDefaultExceptionHandler = false });
        Assert.Equal(0, rc);
        return output.ToString();
    }

    [Fact]
    public void PrintsOneJsonArrayOfIdsPerText()
    {
        string text = Run("--text", "a photo of a cat", "--text", "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ", "--json");
        Assert.Equal("[320,1125,539,320,2368]\n[9407,23571,4160]\n", text.Replace("\r\n", "\n"));
    }

    [Fact]
    public void PaddedRowsMatchTheFixtureTokens()
    {
        string textsFile = Fixtures.Path("vit-tiny", "texts.json");
        var lines = Run("--texts-file", textsFile, "--padded", "--truncate", "--json")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rows = lines.Select(l => System.Text.Json.JsonSerializer.Deserialize<int[]>(l)!).ToArray();
        Assert.Equal(20, rows.Length);
        Assert.All(rows, r => Assert.Equal(77, r.Length));
        Assert.Equal([49406, 320, 1125, 539, 320, 2368, 49407], rows[0][..7]);
        Assert.Equal(49407, rows[19][76]);  // the over-long text, truncated
        Assert.Throws<Text.ContextLengthException>(() => Run("--texts-file", textsFile, "--padded"));
    }

    [Fact]
    public void AcceptsTextsObjectFilesAndRejectsBadOnes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "clipsharp-tokenize-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllText(Path.Combine(dir, "obj.json"), "{\"texts\": [\"hi there\", \"x\"]}");
            Assert.Equal("1883 997\n343\n", Run("--texts-file", Path.Combine(dir, "obj.json")).Replace("\r\n", "\n"));
            File.WriteAllText(Path.Combine(dir, "bad.json"), "[\"ok\", 3]");
            var e = Assert.Throws<InvalidDataException>(() => Run("--texts-file", Path.Combine(dir, "bad.json")));
            Assert.Contains("texts[1]", e.Message);
            Assert.Throws<ArgumentException>(() => Run());
            Assert.Throws<FileNotFoundException>(() => Run("--texts-file", Path.Combine(dir, "missing.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
