// HNSW at scale: recall@10 and single-query rate against exact search, in one run.
//   ann N D QUERIES THREADS M EFC EFS[,EFS...] INDEX_PATH [DATA=random|lowrank:R]
// Data "random": N rows of i.i.d. N(0,1) components, L2-normalised (seed 5); queries from the same
// distribution (seed 6, not from the data). "lowrank:R": each row is a fixed random D×R matrix times an
// R-dimensional standard normal vector, plus N(0, 0.05²) noise per component, L2-normalised — data with
// an intrinsic dimension of about R, as embeddings of real images have; queries drawn the same way. The graph is built on THREADS threads and saved to INDEX_PATH (tagged with
// the data and parameters) so a rerun loads it; the build time is kept beside it in INDEX_PATH.json.
// Exact search uses THREADS threads per query, HNSW one thread per query; both run queries one at a time.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ClipSharp.Search.Hnsw;
using ClipSharp.Search.Vectors;

internal static class AnnBench
{
    public static void Run(string[] args)
    {
        int n = int.Parse(args[0]), d = int.Parse(args[1]), nq = int.Parse(args[2]), threads = int.Parse(args[3]);
        int m = int.Parse(args[4]), efC = int.Parse(args[5]);
        int[] efs = args[6].Split(',').Select(int.Parse).ToArray();
        string path = args[7];
        string kind = args.Length > 8 ? args[8] : "random";
        int rank = kind.StartsWith("lowrank:", StringComparison.Ordinal) ? int.Parse(kind["lowrank:".Length..])
            : kind == "random" ? 0 : throw new ArgumentException($"unknown data '{kind}' (random, lowrank:R)");
        const int k = 10;

        var clock = Stopwatch.StartNew();
        var data = rank == 0 ? Gaussian(5, n, d) : LowRank(5, n, d, rank);
        var queries = rank == 0 ? Gaussian(6, nq, d) : LowRank(6, nq, d, rank);
        Log($"{kind} data generated in {clock.Elapsed.TotalSeconds:F1} s");

        string tag = rank == 0
            ? $"bench random-normal seed=5 n={n} d={d} M={m} efC={efC} new-node-links0=2M"
            : $"bench lowrank-{rank} seed=5 n={n} d={d} M={m} efC={efC} new-node-links0=2M";
        HnswIndex graph;
        double buildS;
        bool loaded = File.Exists(path) && HnswIndex.ReadTag(path) == tag && File.Exists(path + ".json");
        if (loaded)
        {
            clock.Restart();
            graph = HnswIndex.Load(path, tag);
            buildS = JsonDocument.Parse(File.ReadAllText(path + ".json")).RootElement.GetProperty("build_s").GetDouble();
            Log($"loaded {path} in {clock.Elapsed.TotalSeconds:F1} s (built earlier in {buildS:F0} s)");
        }
        else
        {
            graph = new HnswIndex(d, new HnswParameters(m, efC, efs[0]));
            var labels = new long[n];
            for (int i = 0; i < n; i++) labels[i] = i;
            var progress = new Progress(clock, n);
            clock.Restart();
            graph.AddRange(labels, data, threads, progress);
            buildS = clock.Elapsed.TotalSeconds;
            Log($"built in {buildS:F0} s ({n / buildS:F0} vectors/s on {threads} threads), max level {graph.MaxLevel}");
            clock.Restart();
            graph.Save(path, tag);
            File.WriteAllText(path + ".json", JsonSerializer.Serialize(new { build_s = buildS, threads, load = Load() }));
            Log($"saved {path} in {clock.Elapsed.TotalSeconds:F1} s");
        }

        var matrix = new EmbeddingMatrix(n, d, data);
        var truth = new long[nq][];
        ExactSearch.Search(matrix, Row(queries, 0, d), k, threads: threads);
        clock.Restart();
        for (int i = 0; i < nq; i++) truth[i] = ExactSearch.Search(matrix, Row(queries, i, d), k, threads: threads).Select(x => x.Id).ToArray();
        double exactQps = nq / clock.Elapsed.TotalSeconds;
        Log($"exact: {exactQps:F2} queries/s ({threads} threads), load {Load()}");

        var curve = new List<object>();
        foreach (int ef in efs)
        {
            graph.Search(Row(queries, 0, d), k, efSearch: ef);
            var got = new ScoredId[nq][];
            long distances = 0;
            clock.Restart();
            for (int i = 0; i < nq; i++)
            {
                got[i] = graph.Search(Row(queries, i, d), k, out int dist, efSearch: ef);
                distances += dist;
            }
            double qps = nq / clock.Elapsed.TotalSeconds;
            double visited = distances / (double)nq;
            double hits = 0;
            for (int i = 0; i < nq; i++) hits += got[i].Count(x => truth[i].Contains(x.Id));
            double recall = hits / (k * (double)nq);
            Log($"hnsw ef={ef}: recall@10 {recall:F4}, {qps:F1} queries/s (1 thread) = {qps / exactQps:F1}x exact, {visited:F0} similarities/query ({visited / n:P1} of N), load {Load()}");
            curve.Add(new { ef, recall, queries_per_s = qps, speedup_vs_exact = qps / exactQps, similarities_per_query = visited });
        }
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            data = kind, n, d, queries = nq, threads, M = m, efConstruction = efC, build_s = buildS, index_loaded = loaded,
            exact_queries_per_s = exactQps, hnsw = curve, load = Load(),
        }));
    }

    private sealed class Progress(Stopwatch clock, int total) : IProgress<int>
    {
        private long _last;
        public void Report(int done)
        {
            long now = clock.ElapsedMilliseconds;
            if (now - Interlocked.Read(ref _last) < 30_000 && done != total) return;
            Interlocked.Exchange(ref _last, now);
            Log($"  {done}/{total} linked, {now / 1000.0:F0} s, {done / (now / 1000.0 + 1e-9):F0} vectors/s, load {Load()}");
        }
    }

    private static ReadOnlySpan<float> Row(float[] rows, int i, int d) => rows.AsSpan(i * d, d);

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "?";

    private static void Log(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    /// <summary>
    /// n rows x = normalise(B·z + 0.05·e): B a D×R matrix of N(0, 1/R) entries fixed by seed 1 (shared by data
    /// and queries), z ~ N(0, I_R) and e ~ N(0, I_D) per row from <paramref name="seed"/>.
    /// </summary>
    private static float[] LowRank(int seed, int n, int d, int rank)
    {
        var basis = Gaussian(1, d, rank, normalise: false);
        float scale = 1f / MathF.Sqrt(rank);
        var latent = Gaussian(seed, n, rank, normalise: false);
        var noise = Gaussian(seed + 1000, n, d, normalise: false);
        var rows = GC.AllocateUninitializedArray<float>(checked(n * d));
        Parallel.For(0, n, i =>
        {
            var z = latent.AsSpan(i * rank, rank);
            var row = rows.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
                row[j] = scale * System.Numerics.Tensors.TensorPrimitives.Dot(basis.AsSpan(j * rank, rank), z) + 0.05f * noise[(long)i * d + j];
            VectorKernels.Normalize(row);
        });
        return rows;
    }

    /// <summary>n rows of D i.i.d. standard normal components (Box–Muller, both outputs used), L2-normalised unless told not to.</summary>
    private static float[] Gaussian(int seed, int n, int d, bool normalise = true)
    {
        var rng = new Random(seed);
        var rows = GC.AllocateUninitializedArray<float>(checked(n * d));
        for (int i = 0; i < rows.Length; i += 2)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble(), r = Math.Sqrt(-2 * Math.Log(u1));
            rows[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < rows.Length) rows[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        if (normalise) for (int i = 0; i < n; i++) VectorKernels.Normalize(rows.AsSpan(i * d, d));
        return rows;
    }
}
