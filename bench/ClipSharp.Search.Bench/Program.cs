// HNSW vs exact: build time, query latency and recall@10 on random and clustered unit vectors.
// Usage: dotnet run -c Release --project bench/ClipSharp.Search.Bench -- [n=20000] [d=64] [M=16] [efC=200] [efS=64] [queries=500]
//        ... -- flat N D QUERIES THREADS            (exact rate only, for bench/search/run.sh)
//        ... -- ann N D QUERIES THREADS M EFC EFS,EFS,... INDEX_PATH   (see AnnBench.cs)
using System.Diagnostics;
using ClipSharp.Search.Hnsw;
using ClipSharp.Search.Vectors;

if (args.Length > 0 && args[0] == "ann")
{
    AnnBench.Run(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "flat")
{
    // Exact single-query search rate: flat n d queries threads (compare with bench/search/bench_faiss.py).
    int fn = int.Parse(args[1]), fd = int.Parse(args[2]), fq = int.Parse(args[3]), ft = int.Parse(args[4]);
    var data = Random(5, fn, fd, 0, 0);
    var flat = EmbeddingMatrix.FromRows(data, fd);
    data = null!;
    var qs = Random(6, fq, fd, 0, 0);
    ExactSearch.Search(flat, qs[0], 10, threads: ft);
    var clock = Stopwatch.StartNew();
    foreach (var q in qs) ExactSearch.Search(flat, q, 10, threads: ft);
    Console.WriteLine($"{{\"n\": {fn}, \"d\": {fd}, \"threads\": {ft}, \"queries_per_s\": {fq / clock.Elapsed.TotalSeconds:F2}}}");
    return;
}

int Arg(int i, int dflt) => args.Length > i ? int.Parse(args[i]) : dflt;
int n = Arg(0, 20000), d = Arg(1, 64), m = Arg(2, 16), efC = Arg(3, 200), efS = Arg(4, 64), nq = Arg(5, 500);
Console.WriteLine($"n={n} d={d} M={m} efConstruction={efC} efSearch={efS} queries={nq} threads(exact)={Environment.ProcessorCount}");

foreach (var (name, rows) in new[] { ("random", Random(1, n, d, 0, 0)), ("clustered", Random(2, n, d, 200, 0.1f)) })
{
    var sw = Stopwatch.StartNew();
    var h = new HnswIndex(d, new HnswParameters(m, efC, efS));
    h.AddRange(Enumerable.Range(0, n).Select(i => (long)i).ToArray(), (i, dest) => rows[i].CopyTo(dest), Environment.ProcessorCount);
    double buildS = sw.Elapsed.TotalSeconds;
    var matrix = EmbeddingMatrix.FromRows(rows, d);
    var queries = Random(99, nq, d, 0, 0);
    if (name == "clustered") queries = Random(2, nq, d, 200, 0.06f, skip: n);
    double hits = 0, hnswMs = 0, exactMs = 0;
    foreach (var q in queries)
    {
        sw.Restart();
        var exact = ExactSearch.Search(matrix, q, 10, threads: Environment.ProcessorCount);
        exactMs += sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var approx = h.Search(q, 10);
        hnswMs += sw.Elapsed.TotalMilliseconds;
        hits += approx.Select(x => x.Id).Intersect(exact.Select(x => x.Id)).Count();
    }
    Console.WriteLine($"{name,-9}: build {buildS:F2} s ({n / buildS:F0} vec/s), max level {h.MaxLevel}; recall@10 {hits / (10.0 * nq):F4}; " +
                      $"query HNSW {hnswMs / nq * 1000:F0} µs, exact {exactMs / nq * 1000:F0} µs");
}

static float[][] Random(int seed, int n, int d, int clusters, float noise, int skip = 0)
{
    var rng = new Random(seed);
    float G() { double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble(); return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)); }
    float[][] centres = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, d).Select(_ => G()).ToArray()).ToArray();
    foreach (var c in centres) VectorKernels.Normalize(c);
    var rows = new float[n + skip][];
    for (int i = 0; i < n + skip; i++)
    {
        var v = new float[d];
        if (clusters == 0) for (int j = 0; j < d; j++) v[j] = G();
        else { var c = centres[rng.Next(clusters)]; for (int j = 0; j < d; j++) v[j] = c[j] + noise * G(); }
        VectorKernels.Normalize(v);
        rows[i] = v;
    }
    return rows[skip..];
}
