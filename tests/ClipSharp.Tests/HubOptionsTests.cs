using System.Collections;
using ClipSharp.Hub;

namespace ClipSharp.Tests;

public class HubOptionsTests
{
    private const string Home = "/home/someone";

    private static HubOptions From(params (string Key, string Value)[] vars)
    {
        var env = new Hashtable();
        foreach (var (k, v) in vars) env[k] = v;
        return HubOptions.FromEnvironment(env, Home);
    }

    [Fact]
    public void DefaultsMatchHuggingFaceHub()
    {
        var o = From();
        Assert.Equal("https://huggingface.co", o.Endpoint);
        Assert.Equal("/home/someone/.cache/huggingface/hub", o.CacheDir);
        Assert.Null(o.Token);
        Assert.False(o.Offline);
    }

    [Fact]
    public void CacheFolderPrecedence()
    {
        Assert.Equal("/x/huggingface/hub", From(("XDG_CACHE_HOME", "/x")).CacheDir);
        Assert.Equal("/hf/hub", From(("HF_HOME", "/hf"), ("XDG_CACHE_HOME", "/x")).CacheDir);
        Assert.Equal("/c", From(("HF_HUB_CACHE", "/c"), ("HF_HOME", "/hf")).CacheDir);
        Assert.Equal("/old", From(("HUGGINGFACE_HUB_CACHE", "/old"), ("HF_HOME", "/hf")).CacheDir);
        Assert.Equal("/home/someone/models", From(("HF_HUB_CACHE", "~/models")).CacheDir);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("true", true)]
    [InlineData("YES", true)]
    [InlineData("on", true)]
    [InlineData("0", false)]
    [InlineData("false", false)]
    [InlineData("", false)]
    public void OfflineSwitch(string value, bool expected) => Assert.Equal(expected, From(("HF_HUB_OFFLINE", value)).Offline);

    [Fact]
    public void EndpointAndToken()
    {
        var o = From(("HF_ENDPOINT", "https://hf-mirror.example/"), ("HF_TOKEN", " hf_abc \n"));
        Assert.Equal("https://hf-mirror.example", o.Endpoint);
        Assert.Equal("hf_abc", o.Token);
    }

    [Fact]
    public void TokenFileWrittenByHuggingFaceCliLoginIsUsed()
    {
        var hfHome = Directory.CreateTempSubdirectory("clipsharp-hfhome-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(hfHome, "token"), "hf_from_file\n");
            Assert.Equal("hf_from_file", From(("HF_HOME", hfHome)).Token);
            Assert.Equal("hf_env", From(("HF_HOME", hfHome), ("HF_TOKEN", "hf_env")).Token);
        }
        finally
        {
            Directory.Delete(hfHome, recursive: true);
        }
    }

    [Fact]
    public void ClientRejectsANonHttpEndpoint()
    {
        var e = Assert.Throws<ArgumentException>(() => new HubClient(new HubOptions { Endpoint = "ftp://x", CacheDir = "/tmp/x" }));
        Assert.Contains("HF_ENDPOINT", e.Message);
    }
}

public class HubModelRefTests
{
    [Theory]
    [InlineData("hf:openai/clip-vit-base-patch32", "openai/clip-vit-base-patch32", "main")]
    [InlineData("hf:laion/CLIP-ViT-B-32-laion2B-s34B-b79K@v1.0", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "v1.0")]
    [InlineData("org/name@refs/pr/1", "org/name", "refs/pr/1")]
    [InlineData("gpt2", "gpt2", "main")]
    public void Parses(string text, string repo, string revision)
    {
        var r = HubModelRef.Parse(text);
        Assert.Equal((repo, revision), (r.RepoId, r.Revision));
        Assert.Equal($"hf:{repo}@{revision}", r.ToString());
    }

    [Theory]
    [InlineData("hf:")]
    [InlineData("hf:a/b/c")]
    [InlineData("hf:../etc")]
    [InlineData("hf:org/na--me")]
    [InlineData("hf:org/name@")]
    [InlineData("hf:org/name@../../x")]
    [InlineData("hf:org/name@a//b")]
    public void RejectsMalformed(string text) => Assert.Throws<ArgumentException>(() => HubModelRef.Parse(text));

    [Fact]
    public void CommitHashes()
    {
        Assert.True(HubModelRef.IsCommitHash("0123456789abcdef0123456789abcdef01234567"));
        Assert.False(HubModelRef.IsCommitHash("main"));
        Assert.False(HubModelRef.IsCommitHash("0123456789ABCDEF0123456789abcdef01234567"));
    }

    [Theory]
    [InlineData("a/../b")]
    [InlineData("/etc/passwd")]
    [InlineData("")]
    [InlineData("c:\\x")]
    public void FileSpecRejectsEscapingPaths(string path) => Assert.Throws<ArgumentException>(() => HubFileSpec.Required(path));

    [Fact]
    public void CacheFolderNamesFollowHuggingFaceHub()
    {
        var cache = new HubCache("/c");
        Assert.Equal("/c/models--openai--clip-vit-base-patch32", cache.RepoFolder("openai/clip-vit-base-patch32"));
        Assert.Equal("/c/models--o--n/refs/refs/pr/1", cache.RefPath("o/n", "refs/pr/1"));
        Assert.Equal("/c/.locks/models--o--n/abc.lock", cache.LockPath("o/n", "abc"));
    }
}
