using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

public class ExactSearchTests
{
    [Theory]
    [InlineData(VectorPrecision.Float32, 1)]
    [InlineData(VectorPrecision.Float32, 3)]
    [InlineData(VectorPrecision.Float16, 1)]
    [InlineData(VectorPrecision.Float16, 4)]
    public void MatchesBruteForce(VectorPrecision precision, int threads)
    {
        const int n = 3000, d = 48, k = 15;
        var rows = TestVectors.RandomUnits(1, n, d);
        var m = EmbeddingMatrix.FromRows(rows, d, precision);
        // brute force over exactly what is stored (float16 rows widened back)
        var stored = Enumerable.Range(0, n).Select(m.GetRow).ToArray();
        var rng = new Random(2);
        for (int t = 0; t < 10; t++)
        {
            var q = TestVectors.RandomUnit(rng, d);
            var got = ExactSearch.Search(m, q, k, threads: threads);
            var want = TestVectors.BruteForce(stored, q, k);
            Assert.Equal(k, got.Length);
            for (int i = 0; i < k; i++)
            {
                Assert.True(Math.Abs(want[i].Score - got[i].Score) < 1e-5, $"rank {i}: score {got[i].Score} vs {want[i].Score}");
                // rank may swap only between near-equal scores
                if (want[i].Row != got[i].Id)
                    Assert.True(Math.Abs(want[i].Score - VectorKernels.Reference.Dot(stored[got[i].Id], q)) < 1e-5,
                        $"rank {i}: got row {got[i].Id}, expected {want[i].Row}");
            }
        }
    }

    [Fact]
    public void Float16ScoresCloseToFloat32()
    {
        var rows = TestVectors.RandomUnits(5, 500, 512);
        var m32 = EmbeddingMatrix.FromRows(rows, 512);
        var m16 = EmbeddingMatrix.FromRows(rows, 512, VectorPrecision.Float16);
        var q = TestVectors.RandomUnit(new Random(6), 512);
        var a = ExactSearch.Search(m32, q, 500);
        var b = ExactSearch.Search(m16, q, 500).ToDictionary(x => x.Id, x => x.Score);
        foreach (var x in a) Assert.True(Math.Abs(x.Score - b[x.Id]) < 2e-3, $"row {x.Id}: {x.Score} vs {b[x.Id]}");
    }

    [Fact]
    public void ThreadCountDoesNotChangeResults()
    {
        // duplicate rows create exact score ties across block boundaries
        var baseRows = TestVectors.RandomUnits(7, 400, 32);
        var rows = Enumerable.Range(0, 5000).Select(i => baseRows[(i * 7919) % 400]).ToArray();
        var m = EmbeddingMatrix.FromRows(rows, 32);
        var q = TestVectors.RandomUnit(new Random(8), 32);
        var one = ExactSearch.Search(m, q, 100, threads: 1);
        foreach (int t in new[] { 2, 3, 5, 8, 64 })
            Assert.Equal(one, ExactSearch.Search(m, q, 100, threads: t));
        // ties are broken by lower row: each tied group appears in increasing row order
        for (int i = 1; i < one.Length; i++)
            if (one[i].Score == one[i - 1].Score) Assert.True(one[i].Id > one[i - 1].Id);
    }

    [Fact]
    public void EveryStoredVectorIsItsOwnNearestNeighbour()
    {
        var rows = TestVectors.Clustered(9, 2000, 64, 20, 0.3f);
        foreach (var precision in new[] { VectorPrecision.Float32, VectorPrecision.Float16 })
        {
            var m = EmbeddingMatrix.FromRows(rows, 64, precision);
            for (int r = 0; r < m.Rows; r += 7)
            {
                var hit = ExactSearch.Search(m, m.GetRow(r), 1, threads: 2)[0];
                Assert.Equal(r, hit.Id);
            }
        }
    }

    [Fact]
    public void MinScoreFiltersAndKLargerThanRows()
    {
        var rows = TestVectors.RandomUnits(10, 300, 16);
        var m = EmbeddingMatrix.FromRows(rows, 16);
        var q = rows[17];
        var all = ExactSearch.Search(m, q, 1000);
        Assert.Equal(300, all.Length);
        var some = ExactSearch.Search(m, q, 1000, minScore: 0.3f, threads: 2);
        Assert.Equal(all.Where(x => x.Score >= 0.3f), some);
        Assert.Equal(17, some[0].Id);
        Assert.Empty(ExactSearch.Search(m, q, 5, minScore: 1.5f));
    }

    [Fact]
    public void KernelMatchesReferenceAcrossLengths()
    {
        var rng = new Random(12);
        for (int d = 1; d <= 130; d++)
        {
            var rows = Enumerable.Range(0, 5 * d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            var q = Enumerable.Range(0, d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
            var got = new float[5];
            var want = new double[5];
            VectorKernels.ScoreRows(got, rows, q);
            VectorKernels.Reference.ScoreRows(want, rows, q);
            for (int i = 0; i < 5; i++) Assert.True(Math.Abs(got[i] - want[i]) < 1e-5 * Math.Sqrt(d), $"d={d} row {i}");
        }
    }

    [Fact]
    public void RejectsWrongQueryLength()
    {
        var m = EmbeddingMatrix.FromRows(TestVectors.RandomUnits(1, 4, 8), 8);
        Assert.Throws<ArgumentException>(() => ExactSearch.Search(m, new float[7], 1));
    }
}
