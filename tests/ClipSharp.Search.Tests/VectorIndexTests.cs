using ClipSharp.Search.Hnsw;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

public class VectorIndexTests
{
    private static (long[] Ids, EmbeddingMatrix M, float[][] Rows) Data(int n, int d, int seed)
    {
        var rows = TestVectors.Clustered(seed, n, d, 10, 0.2f);
        var ids = Enumerable.Range(0, n).Select(i => 10L + 3 * i).ToArray();
        return (ids, EmbeddingMatrix.FromRows(rows, d), rows);
    }

    [Fact]
    public void ExactBelowThresholdHnswAboveOrForced()
    {
        var (ids, m, rows) = Data(600, 16, 1);
        var small = new VectorIndexOptions { ExactThreshold = 1000, Hnsw = new HnswParameters(8, 60, 60) };
        var exact = VectorIndex.Create(ids, m, small);
        Assert.False(exact.IsApproximate);
        var ann = VectorIndex.Create(ids, m, small with { ExactThreshold = 500 });
        Assert.True(ann.IsApproximate);
        Assert.False(VectorIndex.Create(ids, m, small with { ExactThreshold = 500, ForceExact = true }).IsApproximate);

        for (int r = 0; r < rows.Length; r += 37)
        {
            var e = exact.Search(rows[r], 5);
            Assert.Equal(ids[r], e[0].Id); // ids, not rows
            Assert.Equal(ids[r], ann.Search(rows[r], 5)[0].Id);
        }
        // query is normalised: scaling it changes nothing
        var plain = exact.Search(rows[3], 5);
        var scaled = exact.Search(rows[3].Select(x => 7 * x).ToArray(), 5);
        Assert.Equal(plain.Select(h => h.Id), scaled.Select(h => h.Id));
        Assert.All(plain.Zip(scaled), p => Assert.Equal(p.First.Score, p.Second.Score, 5));
        Assert.Equal(rows[5], exact.GetVector(ids[5]));
        Assert.Equal(-1, exact.RowOf(11));
    }

    [Fact]
    public void ReusedGraphIsUpdatedThenRebuiltWhenMostlyDeleted()
    {
        var (ids, m, rows) = Data(400, 8, 2);
        var opts = new VectorIndexOptions { ExactThreshold = 10, Hnsw = new HnswParameters(8, 40, 40), RebuildDeletedFraction = 0.3 };
        var first = VectorIndex.Create(ids, m, opts);
        // drop the first 100, add nothing: graph reused with 100 deletions (25 % < 30 %)
        var keep = Enumerable.Range(100, 300).ToArray();
        var m2 = EmbeddingMatrix.FromRows(keep.Select(i => rows[i]).ToList(), 8);
        var second = VectorIndex.Create(keep.Select(i => ids[i]).ToArray(), m2, opts, first.Graph);
        Assert.Same(first.Graph, second.Graph);
        Assert.Equal(100, second.Graph!.DeletedCount);
        Assert.DoesNotContain(second.Search(rows[0], 50), h => h.Id < ids[100]);
        // drop 100 more: 200 / 400 deleted > 30 % → rebuilt
        var keep3 = Enumerable.Range(200, 200).ToArray();
        var m3 = EmbeddingMatrix.FromRows(keep3.Select(i => rows[i]).ToList(), 8);
        var third = VectorIndex.Create(keep3.Select(i => ids[i]).ToArray(), m3, opts, second.Graph);
        Assert.NotSame(second.Graph, third.Graph);
        Assert.Equal(0, third.Graph!.DeletedCount);
        Assert.Equal(200, third.Graph.Count);
    }

    [Fact]
    public void RejectsUnsortedIds()
    {
        var (ids, m, _) = Data(10, 4, 3);
        (ids[2], ids[3]) = (ids[3], ids[2]);
        Assert.Throws<ArgumentException>(() => VectorIndex.Create(ids, m));
    }
}
