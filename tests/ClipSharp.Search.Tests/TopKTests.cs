using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

public class TopKTests
{
    [Fact]
    public void KeepsBestKWithTiesBrokenByLowerId()
    {
        var top = new TopK(3);
        // ids 7, 3, 5, 1 all score 0.5; id 9 scores 0.9; id 2 scores 0.1
        foreach (var (id, s) in new (long, float)[] { (7, 0.5f), (2, 0.1f), (3, 0.5f), (9, 0.9f), (5, 0.5f), (1, 0.5f) })
            top.Offer(id, s);
        var r = top.ToSortedArray();
        Assert.Equal(new long[] { 9, 1, 3 }, r.Select(x => x.Id));
        Assert.Equal(new[] { 0.9f, 0.5f, 0.5f }, r.Select(x => x.Score));
    }

    [Fact]
    public void ResultIndependentOfOfferOrder()
    {
        var rng = new Random(11);
        // many ties: scores drawn from 5 values
        var items = Enumerable.Range(0, 500).Select(i => (Id: (long)i, Score: rng.Next(5) / 4f)).ToArray();
        var expected = items.OrderByDescending(x => x.Score).ThenBy(x => x.Id).Take(37).ToArray();
        for (int trial = 0; trial < 20; trial++)
        {
            var shuffled = items.OrderBy(_ => rng.Next()).ToArray();
            var top = new TopK(37);
            foreach (var (id, s) in shuffled) top.Offer(id, s);
            var got = top.ToSortedArray();
            Assert.Equal(expected.Select(x => x.Id), got.Select(x => x.Id));
        }
    }

    [Fact]
    public void FewerItemsThanK()
    {
        var top = new TopK(10);
        top.Offer(4, 0.2f);
        top.Offer(2, 0.3f);
        Assert.Equal(new long[] { 2, 4 }, top.ToSortedArray().Select(x => x.Id));
        Assert.False(top.IsFull);
    }

    [Fact]
    public void MergeEqualsSingleHeap()
    {
        var rng = new Random(3);
        var a = new TopK(8); var b = new TopK(8); var all = new TopK(8);
        for (int i = 0; i < 200; i++)
        {
            float s = rng.Next(20) / 19f;
            (i % 2 == 0 ? a : b).Offer(i, s);
            all.Offer(i, s);
        }
        a.Merge(b);
        Assert.Equal(all.ToSortedArray(), a.ToSortedArray());
    }
}
