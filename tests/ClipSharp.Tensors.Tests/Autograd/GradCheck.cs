using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Tensors.Tests.Autograd;

/// <summary>
/// Checks a tape operation against a double-precision reference written from primitives:
/// the forward values must agree, and the tape's gradient of L = Σ w ⊙ y (random fixed w) must
/// agree with central finite differences of the double reference (step 1e-5, so the numerical
/// derivative is accurate to ~1e-9 and the tolerance measures the float kernels, not the check).
/// </summary>
internal static class GradCheck
{
    public static Tensor Random(int seed, double scale, params int[] shape)
    {
        var rng = new Random(seed);
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Span[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return t;
    }

    /// <param name="inputs">Input values (the tape sees float copies, the reference exact doubles of them).</param>
    /// <param name="build">The operation on the tape.</param>
    /// <param name="reference">The same function in double, composed from primitives.</param>
    /// <param name="differentiable">Which inputs to check (default all).</param>
    public static void Check(Tensor[] inputs, Func<Tape, Variable[], Variable> build, Func<double[][], double[]> reference,
        double tolerance = 1e-4, bool[]? differentiable = null)
    {
        var tape = new Tape(ComputeContext.SingleThreaded);
        var leaves = inputs.Select(t => tape.Leaf(t.Clone())).ToArray();
        var y = build(tape, leaves);
        var rng = new Random(12345);
        var w = new double[y.Length];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() * 2 - 1;
        var x = inputs.Select(t => t.Contiguous().Span.ToArray().Select(v => (double)v).ToArray()).ToArray();

        var expected = reference(x);
        AssertClose(expected, y.Data.ToArray().Select(v => (double)v).ToArray(), tolerance, "forward value");

        tape.Backward(y, new Tensor(w.Select(v => (float)v).ToArray(), y.Shape));
        const double h = 1e-5;
        for (int k = 0; k < inputs.Length; k++)
        {
            if (differentiable is not null && !differentiable[k]) continue;
            var numeric = new double[x[k].Length];
            for (int j = 0; j < numeric.Length; j++)
            {
                double saved = x[k][j];
                x[k][j] = saved + h;
                double plus = Dot(w, reference(x));
                x[k][j] = saved - h;
                double minus = Dot(w, reference(x));
                x[k][j] = saved;
                numeric[j] = (plus - minus) / (2 * h);
            }
            var analytic = leaves[k].Grad is { } g ? g.Span.ToArray().Select(v => (double)v).ToArray() : new double[numeric.Length];
            AssertClose(numeric, analytic, tolerance, $"gradient of input {k}");
        }
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>‖actual − expected‖ ≤ tolerance · max(‖expected‖, 1e-6).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            diff += (actual[i] - expected[i]) * (actual[i] - expected[i]);
            norm += expected[i] * expected[i];
        }
        double rel = Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-6);
        Assert.True(rel <= tolerance, $"{what}: relative error {rel:E3} > {tolerance:E1} (norm {Math.Sqrt(norm):G4})");
    }
}

/// <summary>Double-precision references written from scalar primitives.</summary>
internal static class Ref
{
    /// <summary>y (R, O) = x (R, I) · Wᵀ (W (O, I)) + b.</summary>
    public static double[] Linear(double[] x, double[] w, double[]? b, int rows, int i, int o)
    {
        var y = new double[rows * o];
        for (int r = 0; r < rows; r++)
        for (int j = 0; j < o; j++)
        {
            double s = b is null ? 0 : b[j];
            for (int k = 0; k < i; k++) s += x[r * i + k] * w[j * i + k];
            y[r * o + j] = s;
        }
        return y;
    }

    public static double[] SoftmaxRow(double[] row)
    {
        double max = row.Max();
        var e = row.Select(v => double.IsNegativeInfinity(v) ? 0 : Math.Exp(v - max)).ToArray();
        double sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>Multi-head attention, q (B, Tq, C), k/v (B, Tk, C).</summary>
    public static double[] Attention(double[] q, double[] k, double[] v, int b, int tq, int tk, int heads, int c, bool causal)
    {
        int d = c / heads;
        var y = new double[b * tq * c];
        for (int n = 0; n < b; n++)
        for (int h = 0; h < heads; h++)
        for (int t = 0; t < tq; t++)
        {
            var scores = new double[tk];
            for (int s = 0; s < tk; s++)
            {
                if (causal && s > t) { scores[s] = double.NegativeInfinity; continue; }
                double dot = 0;
                for (int j = 0; j < d; j++) dot += q[(n * tq + t) * c + h * d + j] * k[(n * tk + s) * c + h * d + j];
                scores[s] = dot / Math.Sqrt(d);
            }
            var p = SoftmaxRow(scores);
            for (int j = 0; j < d; j++)
            {
                double acc = 0;
                for (int s = 0; s < tk; s++) acc += p[s] * v[(n * tk + s) * c + h * d + j];
                y[(n * tq + t) * c + h * d + j] = acc;
            }
        }
        return y;
    }

    public static double[] Conv2d(double[] x, double[] w, int b, int ci, int hh, int ww, int co, int k, int stride, int pad)
    {
        int p = (hh + 2 * pad - k) / stride + 1, q = (ww + 2 * pad - k) / stride + 1;
        var y = new double[b * co * p * q];
        for (int n = 0; n < b; n++)
        for (int o = 0; o < co; o++)
        for (int i = 0; i < p; i++)
        for (int j = 0; j < q; j++)
        {
            double s = 0;
            for (int c = 0; c < ci; c++)
            for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++)
            {
                int r = i * stride + u - pad, col = j * stride + v - pad;
                if (r < 0 || r >= hh || col < 0 || col >= ww) continue;
                s += w[((o * ci + c) * k + u) * k + v] * x[((n * ci + c) * hh + r) * ww + col];
            }
            y[((n * co + o) * p + i) * q + j] = s;
        }
        return y;
    }

    /// <summary>erf by its Maclaurin series (|x| ≤ 3 here), for the GELU reference.</summary>
    public static double Erf(double x)
    {
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
