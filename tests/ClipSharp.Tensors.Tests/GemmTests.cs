using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Tests;

/// <summary>Every GEMM path the host supports against the double-precision reference.</summary>
public class GemmTests
{
    public static TheoryData<IsaLevel> Isas() => KernelTests.Isas();

    private static float[] Random(Random rng, int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();

    private static void Check(IsaLevel isa, int m, int n, int k, bool transA, bool transB, bool accumulate, int pad, int threads, int seed)
    {
        var rng = new Random(seed);
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = Random(rng, (transA ? k : m) * lda);
        var b = Random(rng, (transB ? n : k) * ldb);
        var c = Random(rng, Math.Max(1, m * ldc));
        var expected = (float[])c.Clone();
        Gemm.Reference(expected, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
        Gemm.Multiply(new ComputeContext(threads, isa), c, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate);
        for (int i = 0; i < m; i++)
        for (int j = 0; j < ldc; j++)
        {
            float got = c[i * ldc + j], want = expected[i * ldc + j];
            Assert.True(Math.Abs(got - want) <= 1e-5 * (k + 1) + 1e-6 * Math.Abs(want),
                $"{isa} m={m} n={n} k={k} tA={transA} tB={transB} acc={accumulate}: C[{i},{j}] = {got}, expected {want}");
        }
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void SmallAndOddShapesStraddlingTheTiles(IsaLevel isa)
    {
        int seed = 0;
        foreach (int m in new[] { 0, 1, 5, 6, 7, 13, 97 })
        foreach (int n in new[] { 1, 3, 8, 16, 17, 33, 64, 65 })
        foreach (int k in new[] { 0, 1, 7, 64, 257 })
            Check(isa, m, n, k, seed % 2 == 1, seed % 3 == 1, seed % 5 == 2, seed % 4 == 0 ? 3 : 0, 1 + seed % 3, seed++);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void AllTransposeAndAccumulateCombinations(IsaLevel isa)
    {
        foreach (bool tA in new[] { false, true })
        foreach (bool tB in new[] { false, true })
        foreach (bool acc in new[] { false, true })
            Check(isa, 37, 70, 300, tA, tB, acc, 2, 2, 7);
    }

    [Fact]
    public void LargeBlocksAcrossKcMcAndNcBoundaries() =>
        Check(ComputeContext.DetectIsa(), 200, 1100, 600, false, true, false, 0, 2, 11);

    [Fact]
    public void ResultsAreBitIdenticalForAnyThreadCount()
    {
        var rng = new Random(3);
        int m = 150, n = 200, k = 300;
        var a = Random(rng, m * k);
        var b = Random(rng, n * k);
        float[] Run(int threads)
        {
            var c = new float[m * n];
            Gemm.Multiply(new ComputeContext(threads), c, n, a, k, false, b, k, true, m, n, k);
            return c;
        }
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(5));
    }
}
