using ClipSharp.Testing;

namespace ClipSharp.Web.Tests;

/// <summary>The thumbnail cache keeps to its byte budget, least recently used out first.</summary>
public class ThumbnailCacheTests
{
    private static string Image(string name) => Fixtures.Path("vit-tiny", "images", name);

    [Fact]
    public void StaysWithinItsBudgetAndKeepsTheRecentlyUsed()
    {
        int one = ThumbnailCache.Make(File.ReadAllBytes(Image("astronaut.png")), "a", 64).Length;
        var cache = new ThumbnailCache(64, budgetBytes: (long)(one * 2.5));
        var a = cache.Get(1, Image("astronaut.png"));
        Assert.Equal(one, a.Length);
        cache.Get(2, Image("camera.png"));
        Assert.Same(a, cache.Get(1, Image("astronaut.png")));     // a hit, and now the most recent
        cache.Get(3, Image("chelsea.png"));                        // over budget: 2 (least recent) goes
        Assert.True(cache.Bytes <= (long)(one * 2.5), $"{cache.Bytes} bytes held");
        Assert.Same(a, cache.Get(1, Image("astronaut.png")));
        Assert.Equal(64, Imaging.ImageDecoder.Decode(a, "thumb").Width);
    }

    [Fact]
    public void SmallImagesAreNotEnlargedAndJunkIsRefused()
    {
        var gif = ThumbnailCache.Make(File.ReadAllBytes(Image("no_time_for_that_tiny.gif")), "gif", 4096);
        var source = Imaging.ImageDecoder.Decode(Image("no_time_for_that_tiny.gif"));
        var frame = Imaging.ImageDecoder.Decode(gif, "thumb");
        Assert.Equal((source.Width, source.Height), (frame.Width, frame.Height));
        Assert.Throws<InvalidDataException>(() => ThumbnailCache.Make("not an image"u8.ToArray(), "junk", 64));
    }
}
