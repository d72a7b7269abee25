using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Tests;

/// <summary>Each kernel against a plain double-precision reference written out in the test.</summary>
public class KernelTests
{
    private static float[] RandomArray(Random rng, int n, double scale = 1.0) =>
        Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    public static TheoryData<IsaLevel> Isas()
    {
        var data = new TheoryData<IsaLevel>();
        foreach (var isa in Enum.GetValues<IsaLevel>()) if (isa <= ComputeContext.DetectIsa()) data.Add(isa);
        return data;
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void ActivationsMatchScalarFormulaForEveryLength(IsaLevel isa)
    {
        var rng = new Random(1);
        for (int n = 0; n <= 70; n++)
        {
            var x = RandomArray(rng, n, 6);
            var quick = new float[n];
            var gelu = new float[n];
            Elementwise.Apply<QuickGeluOperator>(x, quick, isa);
            Elementwise.Apply<GeluOperator>(x, gelu, isa);
            for (int i = 0; i < n; i++)
            {
                double v = x[i];
                double q = v / (1 + Math.Exp(-1.702 * v));
                double g = 0.5 * v * (1 + Erf(v / Math.Sqrt(2)));
                Assert.True(Math.Abs(quick[i] - q) <= 1e-6 * (1 + Math.Abs(q)), $"QuickGELU({v}) = {quick[i]}, expected {q}");
                Assert.True(Math.Abs(gelu[i] - g) <= 2e-6 * (1 + Math.Abs(g)), $"GELU({v}) = {gelu[i]}, expected {g}");
            }
        }
    }

    public static TheoryData<int> ExpWidths() => new() { 8, 16 };

    /// <summary>FloatExp's 8- and 16-float forms (AVX2 and AVX-512 paths of the activations and of GELU's erf).</summary>
    [Theory]
    [MemberData(nameof(ExpWidths))]
    public void FloatExpIsWithinTwoUlpsOfDoubleExpAndHandlesTheEdges(int width)
    {
        var rng = new Random(11);
        var x = new float[4096];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 200 - 100);
        for (int i = 0; i < 64; i++) x[i] = -3 + i * 0.09375f;   // around 0, where 1.702·x lands most
        var y = ExpOf(x, width);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            if (e > float.MaxValue) { Assert.Equal(float.PositiveInfinity, y[i]); continue; }
            if (e < 1.2e-38)
            {
                // Subnormal results: one rounding of the polynomial's value, so within one subnormal step plus 2.4e-7 relative.
                Assert.True(y[i] >= 0 && Math.Abs(y[i] - e) <= 2.4e-7 * e + float.Epsilon, $"exp({x[i]}) = {y[i]:R}, expected {e:R}");
                continue;
            }
            Assert.True(Math.Abs(y[i] - e) <= 2.4e-7 * e, $"exp({x[i]}) = {y[i]}, expected {e}");
        }
        float[] edges = [100f, 89f, -104f, -200f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 0f, -0f, 88.7f, -87f, 1f, -1f, 1e-8f, 50f, -50f];
        var z = ExpOf(edges, width);
        Assert.Equal(float.PositiveInfinity, z[0]);
        Assert.Equal(float.PositiveInfinity, z[1]);
        Assert.Equal(0f, z[2]);
        Assert.Equal(0f, z[3]);
        Assert.Equal(float.PositiveInfinity, z[4]);
        Assert.Equal(0f, z[5]);
        Assert.True(float.IsNaN(z[6]));
        Assert.Equal(1f, z[7]);
        Assert.Equal(1f, z[8]);
    }

    /// <summary>Where AVX-512 runs, the two forms give the same bits (so AVX2 and AVX-512 activations agree).</summary>
    [Avx512Theory]
    [InlineData(12)]
    public void FloatExpsEightAndSixteenFloatFormsAgreeBitForBit(int seed)
    {
        var rng = new Random(seed);
        var x = new float[1 << 16];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 220 - 115);
        Assert.Equal(ExpOf(x, 16), ExpOf(x, 8));
    }

    private static float[] ExpOf(float[] x, int width)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += width)
        {
            if (width == 16) System.Runtime.Intrinsics.Vector512.CopyTo(FloatExp.Exp(System.Runtime.Intrinsics.Vector512.Create(x, i)), y, i);
            else System.Runtime.Intrinsics.Vector256.CopyTo(FloatExp.Exp(System.Runtime.Intrinsics.Vector256.Create(x, i)), y, i);
        }
        return y;
    }

    [Theory]
    [InlineData(3, 4, 7, 9, 3, 1, 1)]
    [InlineData(3, 5, 8, 8, 3, 2, 1)]
    [InlineData(2, 3, 6, 5, 1, 1, 0)]
    [InlineData(4, 2, 9, 7, 2, 2, 0)]
    public void ChannelsLastIm2ColHoldsEachOutputsReceptiveField(int channels, int batch, int h, int w, int kernel, int stride, int pad)
    {
        var rng = new Random(8);
        var x = RandomArray(rng, batch * h * w * channels);   // (B, H, W, C)
        int oh = Convolution.OutputSize(h, kernel, stride, pad), ow = Convolution.OutputSize(w, kernel, stride, pad);
        int depth = kernel * kernel * channels;
        var rows = new float[batch * oh * ow * depth];
        rows.AsSpan().Fill(float.NaN);   // every entry must be written
        Convolution.Im2ColNhwc(new ComputeContext(2), rows, x, batch, h, w, channels, kernel, kernel, stride, pad);
        for (int b = 0; b < batch; b++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        for (int u = 0; u < kernel; u++)
        for (int v = 0; v < kernel; v++)
        for (int i = 0; i < channels; i++)
        {
            int row = p * stride + u - pad, col = q * stride + v - pad;
            float expected = row < 0 || row >= h || col < 0 || col >= w ? 0f : x[((b * h + row) * w + col) * channels + i];
            Assert.Equal(expected, rows[((b * oh + p) * ow + q) * depth + (u * kernel + v) * channels + i]);
        }
    }

    [Fact]
    public void ChannelsLastAveragePoolEqualsTheChannelsFirstOne()
    {
        var rng = new Random(9);
        int batch = 2, channels = 5, h = 9, w = 6, k = 2;
        var nchw = RandomArray(rng, batch * channels * h * w);
        var nhwc = new float[nchw.Length];
        Convolution.Transpose(nhwc, nchw, batch, channels, h * w, toChannelsLast: true);
        var expected = new float[batch * channels * (h / k) * (w / k)];
        Convolution.AvgPool2d(expected, nchw, batch, channels, h, w, k);
        var pooled = new float[expected.Length];
        Convolution.AvgPool2dNhwc(new ComputeContext(2), pooled, nhwc, batch, h, w, channels, k);
        var back = new float[expected.Length];
        Convolution.Transpose(back, pooled, batch, channels, (h / k) * (w / k), toChannelsLast: false);
        Assert.Equal(expected, back);
    }

    [Fact]
    public void ReluClampsNegatives()
    {
        float[] x = [-2f, -0f, 0.5f, 3f, -1e-30f];
        var y = new float[x.Length];
        Elementwise.Apply<ReluOperator>(x, y);
        Assert.Equal([0f, 0f, 0.5f, 3f, 0f], y);
    }

    [Theory]
    [MemberData(nameof(Isas))]
    public void AffineEpilogueRoundsLikeSeparateMultiplyAddAndRelu(IsaLevel isa)
    {
        var rng = new Random(3);
        for (int n = 0; n <= 70; n++)
            foreach (bool withResidual in new[] { false, true })
                foreach (bool relu in new[] { false, true })
                {
                    var values = RandomArray(rng, n, 4);
                    var scale = RandomArray(rng, n, 3);
                    var shift = RandomArray(rng, n, 2);
                    var residual = withResidual ? RandomArray(rng, n, 2) : [];
                    var expected = new float[n];
                    for (int i = 0; i < n; i++)
                    {
                        float product = values[i] * scale[i];             // rounded on its own: no fused multiply-add
                        float v = product + shift[i];
                        if (withResidual) v += residual[i];
                        expected[i] = relu && !(v > 0) ? 0f : v;
                    }
                    AffineEpilogue.Apply(values, scale, shift, residual, relu, isa);
                    Assert.Equal(expected, values);
                }
        Assert.Throws<ArgumentException>(() => AffineEpilogue.Apply(new float[8], new float[8], new float[7], default, false, isa));
    }

    [Fact]
    public void SoftmaxRowsSumToOneAndMaskedEntriesAreZero()
    {
        var rng = new Random(2);
        for (int c = 1; c <= 40; c++)
        {
            var x = RandomArray(rng, 3 * c, 30);
            x[c - 1] = float.NegativeInfinity;
            var copy = (float[])x.Clone();
            Softmax.Rows(x, 3, c);
            for (int r = 0; r < 3; r++)
            {
                var row = x.AsSpan(r * c, c);
                if (r == 0 && c == 1) { Assert.Equal(0f, row[0]); continue; }  // a fully masked row is all zeros
                double sum = 0;
                double max = copy.AsSpan(r * c, c).ToArray().Max();
                double denom = copy.AsSpan(r * c, c).ToArray().Sum(v => Math.Exp(v - max));
                for (int j = 0; j < c; j++)
                {
                    sum += row[j];
                    Assert.True(Math.Abs(row[j] - Math.Exp(copy[r * c + j] - max) / denom) <= 1e-6);
                }
                Assert.True(Math.Abs(sum - 1) <= 1e-5, $"row sums to {sum}");
            }
            Assert.Equal(0f, x[c - 1]);
        }
    }

    [Fact]
    public void LayerNormMatchesDefinition()
    {
        var rng = new Random(3);
        foreach (int c in new[] { 1, 3, 16, 17, 64, 100, 5000 })
        {
            int rows = 3;
            var x = RandomArray(rng, rows * c, 4).Select(v => v + 10f).ToArray();
            var w = RandomArray(rng, c);
            var b = RandomArray(rng, c);
            var y = new float[rows * c];
            Normalization.LayerNorm(ComputeContext.SingleThreaded, y, x, w, b, rows, c);
            for (int r = 0; r < rows; r++)
            {
                var row = x.Skip(r * c).Take(c).Select(v => (double)v).ToArray();
                double mean = row.Average(), variance = row.Sum(v => (v - mean) * (v - mean)) / c;
                for (int j = 0; j < c; j++)
                {
                    double expected = (row[j] - mean) / Math.Sqrt(variance + 1e-5) * w[j] + b[j];
                    Assert.True(Math.Abs(y[r * c + j] - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"c={c} row {r} col {j}: {y[r * c + j]} vs {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData(false, 1, 5, 5)]
    [InlineData(true, 2, 7, 7)]
    [InlineData(false, 3, 1, 9)]
    public void AttentionMatchesNaiveSoftmaxAttention(bool causal, int batch, int tq, int tk)
    {
        var rng = new Random(4);
        int heads = 3, d = 5, c = heads * d;
        var q = RandomArray(rng, batch * tq * c);
        var k = RandomArray(rng, batch * tk * c);
        var v = RandomArray(rng, batch * tk * c);
        var output = new float[batch * tq * c];
        Attention.MultiHead(new ComputeContext(2), output, q, c, k, v, c, batch, tq, tk, heads, d, causal);
        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < tq; t++)
        {
            var scores = new double[tk];
            for (int s = 0; s < tk; s++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++) dot += q[(b * tq + t) * c + h * d + j] * (double)k[(b * tk + s) * c + h * d + j];
                scores[s] = causal && s > t ? double.NegativeInfinity : dot / Math.Sqrt(d);
            }
            double max = scores.Max();
            var p = scores.Select(x => Math.Exp(x - max)).ToArray();
            double sum = p.Sum();
            for (int j = 0; j < d; j++)
            {
                double expected = 0;
                for (int s = 0; s < tk; s++) expected += p[s] / sum * v[(b * tk + s) * c + h * d + j];
                Assert.True(Math.Abs(output[(b * tq + t) * c + h * d + j] - expected) <= 1e-5, $"b{b} h{h} t{t} d{j}");
            }
        }
    }

    [Avx512Theory]
    [InlineData(2, 50, 50, 64, false)]
    [InlineData(2, 1, 50, 64, false)]
    [InlineData(3, 77, 77, 64, true)]
    [InlineData(1, 9, 9, 32, true)]
    [InlineData(2, 5, 40, 96, false)]
    public void DirectAvx512HeadsEqualTheGemmPathBitForBit(int batch, int tq, int tk, int d, bool causal)
    {
        var rng = new Random(tq * 131 + tk);
        int heads = 2, c = heads * d;
        var q = RandomArray(rng, batch * tq * c);
        var k = RandomArray(rng, batch * tk * c);
        var v = RandomArray(rng, batch * tk * c);
        var direct = new float[batch * tq * c];
        var gemm = new float[batch * tq * c];
        Attention.MultiHead(new ComputeContext(2, IsaLevel.Avx512), direct, q, c, k, v, c, batch, tq, tk, heads, d, causal);
        Attention.MultiHead(new ComputeContext(2, IsaLevel.Avx2), gemm, q, c, k, v, c, batch, tq, tk, heads, d, causal);
        Assert.Equal(gemm, direct);
    }

    [Theory]
    [InlineData(3, 2, 7, 9, 3, 1, 1)]
    [InlineData(2, 4, 8, 8, 1, 1, 0)]
    [InlineData(3, 5, 16, 16, 4, 4, 0)]
    [InlineData(2, 3, 9, 6, 3, 2, 1)]
    public void Conv2dMatchesDirectSum(int inC, int outC, int h, int w, int kernel, int stride, int pad)
    {
        var rng = new Random(5);
        int batch = 2;
        var x = RandomArray(rng, batch * inC * h * w);
        var weight = RandomArray(rng, outC * inC * kernel * kernel);
        var bias = RandomArray(rng, outC);
        int oh = Convolution.OutputSize(h, kernel, stride, pad), ow = Convolution.OutputSize(w, kernel, stride, pad);
        var y = new float[batch * outC * oh * ow];
        Convolution.Conv2d(ComputeContext.Default, y, x, weight, bias, batch, inC, h, w, outC, kernel, kernel, stride, pad);
        for (int b = 0; b < batch; b++)
        for (int o = 0; o < outC; o++)
        for (int p = 0; p < oh; p++)
        for (int q = 0; q < ow; q++)
        {
            double sum = bias[o];
            for (int i = 0; i < inC; i++)
            for (int u = 0; u < kernel; u++)
            for (int v = 0; v < kernel; v++)
            {
                int row = p * stride + u - pad, col = q * stride + v - pad;
                if (row < 0 || row >= h || col < 0 || col >= w) continue;
                sum += weight[((o * inC + i) * kernel + u) * kernel + v] * (double)x[((b * inC + i) * h + row) * w + col];
            }
            Assert.True(Math.Abs(y[((b * outC + o) * oh + p) * ow + q] - sum) <= 1e-4, $"({b},{o},{p},{q})");
        }
    }

    [Fact]
    public void AvgPoolAveragesWindows()
    {
        var x = Enumerable.Range(0, 2 * 4 * 5).Select(i => (float)i).ToArray();  // (1, 2, 4, 5)
        var y = new float[2 * 2 * 2];
        Convolution.AvgPool2d(y, x, 1, 2, 4, 5, 2);
        Assert.Equal([(0 + 1 + 5 + 6) / 4f, (2 + 3 + 7 + 8) / 4f, (10 + 11 + 15 + 16) / 4f, (12 + 13 + 17 + 18) / 4f], y[..4]);
    }

    [Fact]
    public void EmbeddingRejectsIdsOutsideTheVocabulary()
    {
        var table = new float[4 * 2];
        var y = new float[2];
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Linear.Embedding(y, [4], table, 4, 2));
        Assert.Contains("outside the vocabulary", e.Message);
    }

    private static double Erf(double x)
    {
        // Series for small |x|, continued fraction via erfc for large |x|; accurate to ~1e-15.
        double ax = Math.Abs(x);
        if (ax < 3)
        {
            double sum = ax, term = ax;
            for (int n = 1; n < 200; n++)
            {
                term *= -ax * ax / n;
                sum += term / (2 * n + 1);
            }
            return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
        }
        double f = 0;
        for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
        double erfc = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + f);
        return Math.Sign(x) * (1 - erfc);
    }
}
