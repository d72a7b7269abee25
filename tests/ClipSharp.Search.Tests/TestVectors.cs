using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Tests;

/// <summary>Seeded random vectors for tests.</summary>
internal static class TestVectors
{
    public static float[] RandomUnit(Random rng, int d)
    {
        var v = new float[d];
        for (int i = 0; i < d; i++) v[i] = Gaussian(rng);
        VectorKernels.Normalize(v);
        return v;
    }

    public static float[][] RandomUnits(int seed, int n, int d)
    {
        var rng = new Random(seed);
        var rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = RandomUnit(rng, d);
        return rows;
    }

    /// <summary>n unit vectors around <paramref name="clusters"/> random centres, spread controlled by <paramref name="noise"/>.</summary>
    public static float[][] Clustered(int seed, int n, int d, int clusters, float noise)
    {
        var rng = new Random(seed);
        var centres = new float[clusters][];
        for (int c = 0; c < clusters; c++) centres[c] = RandomUnit(rng, d);
        var rows = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var c = centres[rng.Next(clusters)];
            var v = new float[d];
            for (int j = 0; j < d; j++) v[j] = c[j] + noise * Gaussian(rng);
            VectorKernels.Normalize(v);
            rows[i] = v;
        }
        return rows;
    }

    public static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>Brute-force top-k in double over the given rows: (row, score) sorted by score desc, row asc.</summary>
    public static (int Row, double Score)[] BruteForce(float[][] rows, float[] q, int k, double minScore = double.NegativeInfinity) =>
        rows.Select((r, i) => (Row: i, Score: VectorKernels.Reference.Dot(r, q)))
            .Where(x => x.Score >= minScore)
            .OrderByDescending(x => x.Score).ThenBy(x => x.Row).Take(k).ToArray();
}
