using ClipSharp.Search.Sync;

namespace ClipSharp.Search.Tests;

public class WalkTests
{
    [Theory]
    [InlineData("*.png", "a.png", true)]
    [InlineData("*.png", "dir/a.png", false)]        // '*' does not cross '/'
    [InlineData("**/*.png", "a.png", true)]          // '**/' matches zero folders
    [InlineData("**/*.png", "x/y/a.png", true)]
    [InlineData("raw/**", "raw/a/b.png", true)]
    [InlineData("raw/**/b.png", "raw/b.png", true)]
    [InlineData("raw/**/b.png", "raw/q/r/b.png", true)]
    [InlineData("raw/**/b.png", "rawx/b.png", false)]
    [InlineData("img?.jpg", "img1.jpg", true)]
    [InlineData("img?.jpg", "img12.jpg", false)]
    [InlineData("a?b", "a/b", false)]               // '?' does not match '/'
    [InlineData("**", "anything/at/all", true)]
    [InlineData("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)] // no exponential blow-up
    [InlineData("", "", true)]
    public void GlobMatch(string pattern, string text, bool expected) => Assert.Equal(expected, GlobMatcher.Match(pattern, text));

    [Fact]
    public void ExcludeSemantics()
    {
        var g = new GlobMatcher(["thumbs", "*.tmp.png", "./raw/2020/", "/exports/**/*.gif"]);
        Assert.True(g.IsExcluded("thumbs", true));
        Assert.True(g.IsExcluded("a/b/thumbs", true));         // name pattern: any depth
        Assert.True(g.IsExcluded("x/y.tmp.png", false));
        Assert.True(g.IsExcluded("raw/2020", true));
        Assert.False(g.IsExcluded("raw/2020", false));          // trailing '/': folders only
        Assert.False(g.IsExcluded("old/raw/2020", true));       // path pattern: anchored at the root
        Assert.True(g.IsExcluded("exports/a/b/c.gif", false));
        Assert.False(g.IsExcluded("exports/a/b/c.png", false));
        Assert.Throws<ArgumentException>(() => new GlobMatcher(["  "]));
    }

    [Fact]
    public void RealPathResolvesNestedAndRelativeLinks()
    {
        using var dir = TempDir.Create();
        Directory.CreateDirectory(dir.File("real/inner"));
        File.WriteAllText(dir.File("real/inner/f.png"), "x");
        Directory.CreateSymbolicLink(dir.File("l1"), "real");                 // relative link
        Directory.CreateSymbolicLink(dir.File("l2"), dir.File("l1/inner"));   // link through a link
        string real = RealPath.Resolve(dir.File("real/inner/f.png"));
        Assert.Equal(real, RealPath.Resolve(dir.File("l2/f.png")));
        Assert.Equal(real, RealPath.Resolve(dir.File("l1/./inner/../inner/f.png")));
        Assert.True(RealPath.IsUnder(real, RealPath.Resolve(dir.Path)));
        Assert.False(RealPath.IsUnder(RealPath.Resolve(dir.Path) + "x", RealPath.Resolve(dir.Path)));
        File.CreateSymbolicLink(dir.File("loop1"), dir.File("loop2"));
        File.CreateSymbolicLink(dir.File("loop2"), dir.File("loop1"));
        Assert.Throws<IOException>(() => RealPath.Resolve(dir.File("loop1")));
    }

    [Fact]
    public void WalkIsSortedAndFollowsInsideLinksOnce()
    {
        using var dir = TempDir.Create();
        foreach (var f in new[] { "b.png", "a.jpg", "z/c.gif", "m/d.bmp", "m/n/e.jpeg" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(dir.File(f))!);
            File.WriteAllText(dir.File(f), f);
        }
        Directory.CreateSymbolicLink(dir.File("alias"), dir.File("m/n"));   // inside the root: followed
        Directory.CreateSymbolicLink(dir.File("m/back"), dir.Path);         // the root again: not re-entered
        var walk = new FolderWalker(dir.Path).Walk();
        Assert.Equal(["a.jpg", "b.png", "alias/e.jpeg", "m/d.bmp", "z/c.gif"], walk.Files.Select(f => f.RelativePath));
        Assert.Empty(walk.Skipped);
        // m/n was entered through 'alias' first, so not again
        Assert.Equal(File.ReadAllText(dir.File("m/n/e.jpeg")).Length, walk.Files.Single(f => f.RelativePath == "alias/e.jpeg").Size);
    }
}
