using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;
using static ClipSharp.Tensors.Tests.Autograd.GradCheck;

namespace ClipSharp.Tensors.Tests.Autograd;

/// <summary>Every backward rule against finite differences of a double reference composed from primitives.</summary>
public class BackwardTests
{
    [Fact]
    public void LinearWithBias()
    {
        Check([Random(1, 1, 2, 3, 5), Random(2, 1, 4, 5), Random(3, 1, 4)],
            (t, v) => t.Linear(v[0], v[1], v[2]),
            x => Ref.Linear(x[0], x[1], x[2], 6, 5, 4));
    }

    [Fact]
    public void ProjectAndMatMulTransposed()
    {
        Check([Random(4, 1, 3, 5), Random(5, 1, 5, 2)],
            (t, v) => t.Project(v[0], v[1]),
            x =>
            {
                var wt = new double[10];   // (I, O) → (O, I)
                for (int i = 0; i < 5; i++) for (int o = 0; o < 2; o++) wt[o * 5 + i] = x[1][i * 2 + o];
                return Ref.Linear(x[0], wt, null, 3, 5, 2);
            });
        Check([Random(6, 1, 3, 4), Random(7, 1, 5, 4)],
            (t, v) => t.MatMulTransposed(v[0], v[1]),
            x => Ref.Linear(x[0], x[1], null, 3, 4, 5));
    }

    [Fact]
    public void AddBroadcastScaleAndShapes()
    {
        Check([Random(8, 1, 2, 3, 4), Random(9, 1, 3, 4)],
            (t, v) => t.AddBroadcast(v[0], v[1]),
            x => x[0].Select((a, i) => a + x[1][i % 12]).ToArray());
        Check([Random(10, 1, 6), Random(11, 1, 6)],
            (t, v) => t.Add(v[0], v[1]),
            x => x[0].Select((a, i) => a + x[1][i]).ToArray());
        Check([Random(12, 1, 3, 4), Random(13, 1, 1)],
            (t, v) => t.ScaleByExp(v[0], v[1]),
            x => x[0].Select(a => a * Math.Exp(x[1][0])).ToArray());
        Check([Random(14, 1, 3, 4), Random(15, 1, 1)],
            (t, v) => t.AddScalar(v[0], v[1]),
            x => x[0].Select(a => a + x[1][0]).ToArray());
        Check([Random(16, 1, 3, 4)],
            (t, v) => t.Rows(t.Reshape(t.Transpose(v[0]), 2, 6), 1, 1),
            x =>
            {
                var tr = new double[12];
                for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) tr[j * 3 + i] = x[0][i * 4 + j];
                return tr.Skip(6).ToArray();
            });
    }

    [Fact]
    public void Activations()
    {
        var x0 = Random(17, 3, 40);
        Check([x0], (t, v) => t.QuickGelu(v[0]), x => x[0].Select(a => a / (1 + Math.Exp(-1.702 * a))).ToArray());
        Check([x0], (t, v) => t.Gelu(v[0]), x => x[0].Select(a => 0.5 * a * (1 + Ref.Erf(a / Math.Sqrt(2)))).ToArray());
        Check([x0], (t, v) => t.GeluTanh(v[0]),
            x => x[0].Select(a => 0.5 * a * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a)))).ToArray());
        // ReLU: keep inputs away from the kink so central differences are exact.
        var r = Random(18, 1, 30);
        for (int i = 0; i < r.Length; i++) r.Span[i] += r.Span[i] >= 0 ? 0.1f : -0.1f;
        Check([r], (t, v) => t.Relu(v[0]), x => x[0].Select(a => Math.Max(a, 0)).ToArray());
    }

    [Fact]
    public void LayerNorm()
    {
        Check([Random(19, 2, 4, 7), Random(20, 1, 7), Random(21, 1, 7)],
            (t, v) => t.LayerNorm(v[0], v[1], v[2]),
            x =>
            {
                var y = new double[28];
                for (int r = 0; r < 4; r++)
                {
                    var row = x[0].Skip(r * 7).Take(7).ToArray();
                    double mean = row.Average(), var = row.Select(a => (a - mean) * (a - mean)).Average();
                    for (int c = 0; c < 7; c++) y[r * 7 + c] = (row[c] - mean) / Math.Sqrt(var + 1e-5) * x[1][c] + x[2][c];
                }
                return y;
            });
    }

    [Fact]
    public void BatchNormTrainingModeAndRunningStatistics()
    {
        int b = 3, c = 2, s = 4;
        Check([Random(22, 2, b, c, 2, 2), Random(23, 1, c), Random(24, 1, c)],
            (t, v) => t.BatchNorm2d(v[0], v[1], v[2], new Tensor(c), new Tensor(c)),
            x =>
            {
                var y = new double[b * c * s];
                for (int ch = 0; ch < c; ch++)
                {
                    var vals = new List<double>();
                    for (int n = 0; n < b; n++) for (int i = 0; i < s; i++) vals.Add(x[0][(n * c + ch) * s + i]);
                    double mean = vals.Average(), var = vals.Select(a => (a - mean) * (a - mean)).Average();
                    for (int n = 0; n < b; n++) for (int i = 0; i < s; i++)
                    {
                        int at = (n * c + ch) * s + i;
                        y[at] = (x[0][at] - mean) / Math.Sqrt(var + 1e-5) * x[1][ch] + x[2][ch];
                    }
                }
                return y;
            });

        // Running statistics: r ← 0.9 r + 0.1 batch, with the unbiased variance.
        var input = Random(25, 2, b, c, 2, 2);
        var rm = new Tensor(new[] { 0.5f, -1f }, c);
        var rv = new Tensor(new[] { 2f, 0.25f }, c);
        var tape = new Tape(ComputeContext.SingleThreaded);
        tape.BatchNorm2d(tape.Constant(input), tape.Constant(new Tensor(new[] { 1f, 1f }, c)), tape.Constant(new Tensor(c)), rm, rv);
        for (int ch = 0; ch < c; ch++)
        {
            var vals = new List<double>();
            for (int n = 0; n < b; n++) for (int i = 0; i < s; i++) vals.Add(input.Span[(n * c + ch) * s + i]);
            double mean = vals.Average(), unbiased = vals.Select(a => (a - mean) * (a - mean)).Sum() / (vals.Count - 1);
            double expectMean = 0.9 * (ch == 0 ? 0.5 : -1) + 0.1 * mean, expectVar = 0.9 * (ch == 0 ? 2 : 0.25) + 0.1 * unbiased;
            Assert.Equal(expectMean, rm.Span[ch], 5);
            Assert.Equal(expectVar, rv.Span[ch], 5);
        }
    }

    [Fact]
    public void L2Normalize()
    {
        Check([Random(26, 1, 3, 5)], (t, v) => t.L2Normalize(v[0]),
            x =>
            {
                var y = new double[15];
                for (int r = 0; r < 3; r++)
                {
                    double n = Math.Sqrt(x[0].Skip(r * 5).Take(5).Sum(a => a * a));
                    for (int c = 0; c < 5; c++) y[r * 5 + c] = x[0][r * 5 + c] / n;
                }
                return y;
            });
    }

    [Fact]
    public void FusedCrossEntropyMatchesLogSoftmaxComposition()
    {
        int[] targets = [2, 0, 3];
        Check([Random(27, 3, 3, 4)], (t, v) => t.CrossEntropy(v[0], targets),
            x =>
            {
                double loss = 0;
                for (int r = 0; r < 3; r++)
                {
                    var row = x[0].Skip(r * 4).Take(4).ToArray();
                    double logSumExp = Math.Log(row.Sum(Math.Exp));       // log Σ exp, composed directly
                    loss += -(row[targets[r]] - logSumExp);                 // −log softmax[target]
                }
                return [loss / 3];
            });
    }

    [Fact]
    public void SigmoidPairLoss()
    {
        Check([Random(28, 3, 4, 4)], (t, v) => t.SigmoidPairLoss(v[0]),
            x =>
            {
                double loss = 0;
                for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++)
                    loss -= Math.Log(1 / (1 + Math.Exp(-(i == j ? 1 : -1) * x[0][i * 4 + j])));
                return [loss / 4];
            });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FusedSelfAttentionMatchesComposition(bool causal)
    {
        int b = 2, t = 4, heads = 2, c = 6;
        Check([Random(29, 1, b, t, 3 * c)], (tp, v) => tp.SelfAttention(v[0], heads, causal),
            x =>
            {
                double[] Part(int which)
                {
                    var r = new double[b * t * c];
                    for (int row = 0; row < b * t; row++) for (int j = 0; j < c; j++) r[row * c + j] = x[0][row * 3 * c + which * c + j];
                    return r;
                }
                return Ref.Attention(Part(0), Part(1), Part(2), b, t, t, heads, c, causal);
            });
    }

    [Fact]
    public void CrossAttention()
    {
        int b = 2, tq = 1, tk = 5, heads = 2, c = 4;
        Check([Random(30, 1, b, tq, c), Random(31, 1, b, tk, c), Random(32, 1, b, tk, c)],
            (tp, v) => tp.Attention(v[0], v[1], v[2], heads),
            x => Ref.Attention(x[0], x[1], x[2], b, tq, tk, heads, c, false));
    }

    [Theory]
    [InlineData(3, 2, 1, 5)]   // stem: 3×3, stride 2, padding 1, odd size
    [InlineData(3, 1, 1, 4)]   // bottleneck 3×3
    [InlineData(1, 1, 0, 3)]   // 1×1 (direct GEMM path)
    [InlineData(2, 2, 0, 4)]   // ViT patchify: kernel = stride
    public void Conv2d(int k, int stride, int pad, int size)
    {
        int b = 2, ci = 3, co = 2;
        Check([Random(33, 1, b, ci, size, size), Random(34, 1, co, ci, k, k)],
            (t, v) => t.Conv2d(v[0], v[1], stride, pad),
            x => Ref.Conv2d(x[0], x[1], b, ci, size, size, co, k, stride, pad));
    }

    [Fact]
    public void AvgPool()
    {
        Check([Random(35, 1, 2, 2, 4, 4)], (t, v) => t.AvgPool2d(v[0], 2),
            x =>
            {
                var y = new double[2 * 2 * 2 * 2];
                for (int pl = 0; pl < 4; pl++) for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++)
                    y[pl * 4 + i * 2 + j] = (x[0][pl * 16 + 2 * i * 4 + 2 * j] + x[0][pl * 16 + 2 * i * 4 + 2 * j + 1]
                        + x[0][pl * 16 + (2 * i + 1) * 4 + 2 * j] + x[0][pl * 16 + (2 * i + 1) * 4 + 2 * j + 1]) / 4;
                return y;
            });
    }

    [Fact]
    public void EmbeddingGatherAndTokenSequences()
    {
        int[] ids = [3, 1, 3, 0, 4, 3];   // repeated ids accumulate
        Check([Random(36, 1, 5, 2)], (t, v) => t.Embedding(v[0], ids, 2, 3),
            x => ids.SelectMany(id => new[] { x[0][id * 2], x[0][id * 2 + 1] }).ToArray());
        int[] pos = [2, 0];
        Check([Random(37, 1, 2, 3, 2)], (t, v) => t.Gather(v[0], pos),
            x => [x[0][(0 * 3 + 2) * 2], x[0][(0 * 3 + 2) * 2 + 1], x[0][(1 * 3 + 0) * 2], x[0][(1 * 3 + 0) * 2 + 1]]);
        int b = 2, c = 3, s = 4;
        Check([Random(38, 1, b, c, 2, 2), Random(39, 1, c)], (t, v) => t.ClassTokenAndPatches(v[0], v[1]),
            x =>
            {
                var y = new double[b * (s + 1) * c];
                for (int n = 0; n < b; n++) for (int ch = 0; ch < c; ch++)
                {
                    y[n * (s + 1) * c + ch] = x[1][ch];
                    for (int i = 0; i < s; i++) y[(n * (s + 1) + 1 + i) * c + ch] = x[0][(n * c + ch) * s + i];
                }
                return y;
            });
        Check([Random(40, 1, b, c, 2, 2)], (t, v) => t.MeanTokenAndMap(v[0]),
            x =>
            {
                var y = new double[b * (s + 1) * c];
                for (int n = 0; n < b; n++) for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    for (int i = 0; i < s; i++) { sum += x[0][(n * c + ch) * s + i]; y[(n * (s + 1) + 1 + i) * c + ch] = x[0][(n * c + ch) * s + i]; }
                    y[n * (s + 1) * c + ch] = sum / s;
                }
                return y;
            });
    }

    [Fact]
    public void RepeatCopiesAlongTheFirstDimensionAndSumsTheCopiesGradients()
    {
        Check([Random(41, 1, 1, 2, 3)], (t, v) => t.Repeat(v[0], 4), x => Enumerable.Repeat(x[0], 4).SelectMany(r => r).ToArray());
        var tape = new Tape(ComputeContext.SingleThreaded);
        Assert.Equal([6, 5], tape.Repeat(tape.Leaf(new Tensor(2, 5)), 3).Shape);
    }

    [Fact]
    public void GradientsAccumulateAcrossUsesAndTapes()
    {
        // y = x + x·x-free composition: Add(x, x) must give dx = 2, twice over two tapes gives 4.
        var gradients = new Gradients();
        var p = new Tensor(new[] { 1f, 2f }, 2);
        gradients.Track(p);
        for (int pass = 0; pass < 2; pass++)
        {
            var tape = new Tape(ComputeContext.SingleThreaded, gradients);
            var x = tape.Param(p);
            tape.Backward(tape.Add(x, x), new Tensor(new[] { 1f, 1f }, 2));
        }
        Assert.Equal(new[] { 4f, 4f }, gradients[p].Span.ToArray());
        gradients.Zero();
        Assert.Equal(new[] { 0f, 0f }, gradients[p].Span.ToArray());

        // A values-only tape records nothing and cannot be differentiated.
        var eval = new Tape(ComputeContext.SingleThreaded, gradients, record: false);
        var y = eval.Add(eval.Param(p), eval.Param(p));
        Assert.Equal(0, eval.RecordedCount);
        Assert.Throws<InvalidOperationException>(() => eval.Backward(y));
    }
}
