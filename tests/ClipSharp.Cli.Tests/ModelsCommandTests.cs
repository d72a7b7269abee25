using System.Text.Json;
using ClipSharp.Hub;
using ClipSharp.Testing;
using ClipSharp.Tests.Hub;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp models` and `clipsharp models download` (against a local fake hub).</summary>
[Collection("Console")]
public class ModelsCommandTests
{
    private static readonly string[] HubVariables = ["HF_HUB_CACHE", "HF_ENDPOINT", "HF_HUB_OFFLINE", "HF_TOKEN", "HF_HOME"];

    private static void WithHubEnvironment(Dictionary<string, string?> values, Action body)
    {
        var saved = HubVariables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var v in HubVariables) Environment.SetEnvironmentVariable(v, values.GetValueOrDefault(v));
            body();
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    [Fact]
    public void JsonListsEveryKnownModelAndWhetherItIsCached()
    {
        using var tmp = new CliHarness.TempDir();
        var refs = Path.Combine(tmp.Path, "models--openai--clip-vit-base-patch32", "refs");
        Directory.CreateDirectory(refs);
        File.WriteAllText(Path.Combine(refs, "main"), new string('a', 40));

        WithHubEnvironment(new() { ["HF_HUB_CACHE"] = tmp.Path }, () =>
        {
            var (code, stdout, err) = CliHarness.Run("models", "--json");
            Assert.True(code == 0, err);
            var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
            Assert.Equal(KnownModels.All.Count, rows.Count);
            var b32 = rows.Single(r => r.GetProperty("name").GetString() == "ViT-B-32/openai");
            Assert.True(b32.GetProperty("cached").GetBoolean());
            Assert.Equal("openai/clip-vit-base-patch32", b32.GetProperty("hub_id").GetString());
            Assert.Equal(63.32, b32.GetProperty("imagenet_zeroshot_top1").GetDouble());
            Assert.False(rows.Single(r => r.GetProperty("name").GetString() == "ViT-B-16/openai").GetProperty("cached").GetBoolean());
        });
    }

    [Fact]
    public void TableHasOneLinePerModel()
    {
        using var tmp = new CliHarness.TempDir();
        WithHubEnvironment(new() { ["HF_HUB_CACHE"] = tmp.Path }, () =>
        {
            var (code, stdout, err) = CliHarness.Run("models");
            Assert.True(code == 0, err);
            var lines = stdout.TrimEnd().Split('\n');
            Assert.StartsWith("name", lines[0]);
            Assert.Equal(KnownModels.All.Count + 2, lines.Length); // header, rows, cache line
            Assert.Contains(lines, l => l.StartsWith("ViT-B-32/openai *", StringComparison.Ordinal) && l.Contains("63.3%"));
            Assert.Contains(tmp.Path, lines[^1]);
        });
    }

    [Fact]
    public void DownloadFetchesIntoTheCacheThenWorksOffline()
    {
        using var tmp = new CliHarness.TempDir();
        using var server = new FakeHubServer();
        var commit = FakeHubServer.FakeCommit("cli");
        var dir = Fixtures.Path("vit-tiny", "hf");
        server.AddRepo("test-org/vit-tiny", commit, Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes));
        var expected = Path.Combine(tmp.Path, "models--test-org--vit-tiny", "snapshots", commit);

        WithHubEnvironment(new() { ["HF_HUB_CACHE"] = tmp.Path, ["HF_ENDPOINT"] = server.Endpoint }, () =>
        {
            var (code, stdout, err) = CliHarness.Run("models", "download", "hf:test-org/vit-tiny");
            Assert.True(code == 0, err);
            Assert.Equal(expected, stdout.Trim());
            Assert.Contains("model.safetensors", err);
            Assert.Contains("done", err);
            Assert.True(File.Exists(Path.Combine(expected, "model.safetensors")));
        });
        server.Stop();
        WithHubEnvironment(new() { ["HF_HUB_CACHE"] = tmp.Path, ["HF_ENDPOINT"] = server.Endpoint, ["HF_HUB_OFFLINE"] = "1" }, () =>
        {
            var (code, stdout, err) = CliHarness.Run("models", "download", "hf:test-org/vit-tiny", "--json");
            Assert.True(code == 0, err);
            Assert.Equal(expected, JsonDocument.Parse(stdout).RootElement.GetProperty("path").GetString());

            var (missCode, _, missErr) = CliHarness.Run("models", "download", "hf:test-org/vit-tiny@v9");
            Assert.Equal(2, missCode);
            Assert.StartsWith("clipsharp: error: hf:test-org/vit-tiny@v9: revision 'v9' not in cache", missErr);
            Assert.Contains("HF_HUB_OFFLINE", missErr);
        });
    }

    [Fact]
    public void UnknownNameIsAOneLineError()
    {
        var (code, _, err) = CliHarness.Run("models", "download", "ViT-Q-99");
        Assert.Equal(2, code);
        Assert.Equal("clipsharp: error: 'ViT-Q-99' is not a known model name (see `clipsharp models`) nor a hub repository (hf:org/name)", err.Trim());
    }
}

public class ConsoleDownloadProgressTests
{
    [Fact]
    public void FormatsBytesRateAndEta()
    {
        var p = new DownloadProgress("model.safetensors", 123_400_000, 605_000_000, 45_600_000, 2, 5, false);
        Assert.Equal("[2/5] model.safetensors  123.4 MB / 605.0 MB  45.6 MB/s  ETA 0:10", ConsoleDownloadProgress.Format(p));
        Assert.Equal("[1/1] vocab.json  961.1 kB  done",
            ConsoleDownloadProgress.Format(new DownloadProgress("vocab.json", 961_143, null, 0, 1, 1, true)));
        Assert.Equal("1:01:01", ConsoleDownloadProgress.Duration(TimeSpan.FromSeconds(3661)));
        Assert.Equal("999 B", ConsoleDownloadProgress.Bytes(999));
        Assert.Equal("10.2 GB", ConsoleDownloadProgress.Bytes(10_158_000_000));
    }

    [Fact]
    public void RedirectedOutputGetsOnlyFinishedLines()
    {
        var sw = new StringWriter();
        var progress = new ConsoleDownloadProgress(sw, interactive: false);
        progress.Report(new DownloadProgress("a.bin", 10, 100, 1, 1, 1, false));
        progress.Report(new DownloadProgress("a.bin", 100, 100, 1, 1, 1, true));
        Assert.Equal("[1/1] a.bin  100 B / 100 B  1 B/s  done" + Environment.NewLine, sw.ToString());
    }

    [Fact]
    public void TerminalOutputRewritesOneLine()
    {
        var sw = new StringWriter();
        var progress = new ConsoleDownloadProgress(sw, interactive: true);
        progress.Report(new DownloadProgress("a.bin", 10, 100, 0, 1, 1, false));
        progress.Report(new DownloadProgress("a.bin", 100, 100, 0, 1, 1, true));
        Assert.Equal("\r[1/1] a.bin  10 B / 100 B\r[1/1] a.bin  100 B / 100 B  done" + Environment.NewLine, sw.ToString());
    }
}

/// <summary>`--model hf:org/name` on a model command: fetched from the (fake) hub, then used like a local folder.</summary>
[Collection("Console")]
public class HubModelArgumentTests
{
    [Fact]
    public void EmbedWithAHubModelMatchesTheLocalFolder()
    {
        using var tmp = new CliHarness.TempDir();
        using var server = new FakeHubServer();
        var hfDir = Fixtures.Path("vit-tiny", "hf");
        server.AddRepo("test-org/vit-tiny", FakeHubServer.FakeCommit("embed"),
            Directory.GetFiles(hfDir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes));
        var expected = Fixtures.Path("vit-tiny", "expected.safetensors");
        var saved = (Environment.GetEnvironmentVariable("HF_HUB_CACHE"), Environment.GetEnvironmentVariable("HF_ENDPOINT"));
        try
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", tmp.File("cache"));
            Environment.SetEnvironmentVariable("HF_ENDPOINT", server.Endpoint);
            var fromHub = CliHarness.Run("embed", "--model", "hf:test-org/vit-tiny", "--tokens", expected, "--out", tmp.File("hub.npy"));
            Assert.True(fromHub.Code == 0, fromHub.Err);
            var fromDir = CliHarness.Run("embed", "--model", hfDir, "--tokens", expected, "--out", tmp.File("dir.npy"));
            Assert.True(fromDir.Code == 0, fromDir.Err);
            Assert.Equal(File.ReadAllBytes(tmp.File("dir.npy")), File.ReadAllBytes(tmp.File("hub.npy")));
            Assert.NotEmpty(server.Gets("/cdn/"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("HF_HUB_CACHE", saved.Item1);
            Environment.SetEnvironmentVariable("HF_ENDPOINT", saved.Item2);
        }
    }

    [Fact]
    public void MissingPathThatIsNoHubModelIsStillAFileError()
    {
        var (code, _, err) = CliHarness.Run("info", "--model", "/no/such/model.safetensors");
        Assert.Equal(2, code);
        Assert.Contains("no such file or directory", err);
    }
}
