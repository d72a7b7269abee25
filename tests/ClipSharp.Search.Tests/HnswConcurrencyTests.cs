using ClipSharp.Search.Hnsw;

namespace ClipSharp.Search.Tests;

/// <summary>
/// The parallel build's publication order. A node must not be reachable by other inserts until its own
/// link lists on every layer are stored: otherwise an insert that reaches it on layer l+1 descends into
/// its still-empty list on layer l, finds nothing else, links itself to that one node only, and the
/// merge that follows can prune that single in-link away (the node is then lost: 5,999 of 6,000).
/// </summary>
public class HnswConcurrencyTests
{
    private static readonly HnswParameters P = new(6, 40, 20, seed: 77);

    /// <summary>
    /// Replays the losing interleaving on purpose: node f (level ≥ 1) is held after its layer-1 links are
    /// stored while node f+1, a near copy of f, is inserted in full on another worker. f+1 must still get
    /// a full neighbour list on layer 0 (with the fault it got exactly one link: f) and stay reachable.
    /// </summary>
    [Fact]
    public void InsertHeldBetweenLayersIsInvisibleToOtherInserts()
    {
        var pool = TestVectors.RandomUnits(61, 1000, 16);
        double mL = P.LevelMultiplier;
        int f = 300;
        while (!(HnswIndex.LevelFor(P.Seed, f, mL) is >= 1 and <= 2 && HnswIndex.LevelFor(P.Seed, f + 1, mL) == 0
                 && HnswIndex.LevelFor(P.Seed, f + 2, mL) == 0 && HnswIndex.LevelFor(P.Seed, f + 3, mL) == 0)) f++;
        var h = new HnswIndex(16, P);
        h.AddRange(Enumerable.Range(0, f).Select(i => (long)i).ToArray(), (i, dest) => pool[i].CopyTo(dest));
        Assert.True(h.MaxLevel >= 2, $"base graph of {f} nodes has max level {h.MaxLevel}; the held node must not raise it");

        var twin = (float[])pool[f].Clone();
        var rng = new Random(62);
        for (int j = 0; j < twin.Length; j++) twin[j] += 0.01f * TestVectors.Gaussian(rng);
        float[][] batch = [pool[f], twin, pool[f + 2], pool[f + 3]];

        using var twinDone = new ManualResetEventSlim(false);
        bool held = false, timedOut = false;
        h.ConcurrentInsertStep = (node, layer) =>
        {
            if (node == f && layer == 1) { held = true; timedOut = !twinDone.Wait(TimeSpan.FromSeconds(60)); }
            if (node == f + 1 && layer == -1) twinDone.Set();
        };
        h.AddRange(Enumerable.Range(f, 4).Select(i => (long)i).ToArray(), (i, dest) => batch[i].CopyTo(dest), threads: 2);

        Assert.True(held, "the held point was never reached; the test no longer exercises the interleaving");
        Assert.False(timedOut, "node f+1 could not finish while node f was held");
        Assert.Empty(h.GraphFaults());
        Assert.Equal(f + 4, h.ReachableFromEntry());
        Assert.True(h.LinkCount(f + 1, 0) >= P.M, $"node f+1 holds {h.LinkCount(f + 1, 0)} layer-0 links; it linked to a half-inserted node");
        Assert.Equal(f + 1, h.Search(twin, 1)[0].Id);
        Assert.Equal(f, h.Search(pool[f], 1)[0].Id);
    }

    /// <summary>Default-run share of the stress test below: a few builds at 2, 3, 5 and 8 threads.</summary>
    [Fact]
    public void ParallelBuildsAtSeveralThreadCountsLoseNothing()
    {
        var rows = TestVectors.Clustered(63, 3000, 32, 30, 0.15f);
        var p = new HnswParameters(12, 80, 48);
        foreach (int threads in new[] { 2, 3, 5, 8 })
            CheckBuild(rows, threads, $"threads {threads}", p);
    }

    /// <summary>
    /// Stress (issue 17's bar): 200 parallel builds in a row, threads cycling 2..8, of the set the flaky
    /// test used (6,000 clustered 32-d, M=12); every build keeps every node reachable, no link list is
    /// corrupt, and the top level is the sequential build's. (Not covered here: with M=6 the heuristic
    /// prune drops in-links more often; NodesThePruneOrphansAreRelinked covers that.) Run:
    /// dotnet test tests/ClipSharp.Search.Tests -c Release --filter "FullyQualifiedName~ParallelBuildStress".
    /// CLIPSHARP_HNSW_STRESS_BUILDS overrides the count.
    /// </summary>
    [Theory]
    [Trait("Category", "Slow")]
    [InlineData(6000, 32, 12, 80)]
    public void ParallelBuildStress(int n, int d, int m, int ef)
    {
        int builds = int.TryParse(Environment.GetEnvironmentVariable("CLIPSHARP_HNSW_STRESS_BUILDS"), out int b) && b > 0 ? b : 200;
        var rows = TestVectors.Clustered(31, n, d, n / 100, 0.15f);
        var p = new HnswParameters(m, ef, 48);
        int maxLevel = Build(rows, p, 1).MaxLevel;
        for (int i = 0; i < builds; i++)
        {
            int threads = 2 + i % 7;
            var h = CheckBuild(rows, threads, $"build {i + 1} of {builds} ({threads} threads)", p);
            Assert.Equal(maxLevel, h.MaxLevel);
        }
    }

    /// <summary>
    /// A one-thread build that loses nodes to the heuristic prune (M=6 on tight clusters drops some nodes'
    /// last in-links) comes out whole: the repair pass relinks them and every node is reachable from the
    /// entry point (a one-thread build is deterministic, so this loses the same nodes every run).
    /// </summary>
    [Fact]
    public void NodesThePruneOrphansAreRelinked()
    {
        var rows = TestVectors.Clustered(64, 4000, 16, 200, 0.02f);
        var h = Build(rows, new HnswParameters(4, 16, 16), 1);
        Assert.True(h.RelinkedByLastBuild > 0, "this build lost no node to the prune; the test no longer exercises the repair");
        Assert.Empty(h.GraphFaults());
        Assert.Equal(rows.Length, h.ReachableFromEntry());
    }

    private static HnswIndex Build(float[][] rows, HnswParameters p, int threads)
    {
        var h = new HnswIndex(rows[0].Length, p);
        h.AddRange(Enumerable.Range(0, rows.Length).Select(i => (long)i).ToArray(), (i, dest) => rows[i].CopyTo(dest), threads);
        return h;
    }

    private static HnswIndex CheckBuild(float[][] rows, int threads, string what, HnswParameters? p = null)
    {
        var h = Build(rows, p ?? P, threads);
        Assert.Equal(rows.Length, h.Count);
        var faults = h.GraphFaults();
        Assert.True(faults.Count == 0, $"{what}: {faults.Count} faults, first {faults.FirstOrDefault()}");
        int reached = h.ReachableFromEntry();
        Assert.True(reached == rows.Length, $"{what}: {reached} of {rows.Length} nodes reachable from the entry point");
        for (int n = 0; n < rows.Length; n++)
            Assert.True(h.LinkCount(n, 0) > 0, $"{what}: node {n} has no layer-0 links");
        return h;
    }
}
