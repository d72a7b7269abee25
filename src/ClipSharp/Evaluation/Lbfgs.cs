namespace ClipSharp.Evaluation;

/// <summary>
/// Limited-memory BFGS (Nocedal &amp; Wright, Algorithm 7.4/7.5) with a backtracking Armijo line
/// search; enough for the smooth, convex objectives of linear probes.
/// </summary>
public static class Lbfgs
{
    /// <summary>
    /// Minimises f starting from x (updated in place). <paramref name="f"/> returns f(x) and writes
    /// ∇f(x) into its second argument. Stops after <paramref name="maxIterations"/> or when the
    /// gradient's max-norm falls below <paramref name="tolerance"/>. Returns the final value.
    /// </summary>
    public static double Minimize(Func<double[], double[], double> f, double[] x, int maxIterations = 500,
        double tolerance = 1e-6, int memory = 10)
    {
        int n = x.Length;
        var g = new double[n];
        double fx = f(x, g);
        var s = new List<double[]>();
        var y = new List<double[]>();
        var direction = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        for (int iter = 0; iter < maxIterations; iter++)
        {
            if (MaxAbs(g) < tolerance) break;
            // Two-loop recursion: direction = −H g.
            Array.Copy(g, direction, n);
            var alpha = new double[s.Count];
            for (int i = s.Count - 1; i >= 0; i--)
            {
                alpha[i] = Dot(s[i], direction) / Dot(y[i], s[i]);
                Axpy(-alpha[i], y[i], direction);
            }
            double gamma = s.Count > 0 ? Dot(s[^1], y[^1]) / Dot(y[^1], y[^1]) : 1.0 / Math.Max(1.0, Math.Sqrt(Dot(g, g)));
            for (int i = 0; i < n; i++) direction[i] *= gamma;
            for (int i = 0; i < s.Count; i++)
            {
                double beta = Dot(y[i], direction) / Dot(y[i], s[i]);
                Axpy(alpha[i] - beta, s[i], direction);
            }
            for (int i = 0; i < n; i++) direction[i] = -direction[i];
            double slope = Dot(g, direction);
            if (slope >= 0)
            {
                // Not a descent direction: restart from steepest descent.
                s.Clear(); y.Clear();
                for (int i = 0; i < n; i++) direction[i] = -g[i];
                slope = Dot(g, direction);
            }
            double step = 1.0, fNew;
            while (true)
            {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + step * direction[i];
                fNew = f(xNew, gNew);
                if (fNew <= fx + 1e-4 * step * slope || step < 1e-12) break;
                step *= 0.5;
            }
            if (step < 1e-12) break;
            var si = new double[n];
            var yi = new double[n];
            for (int i = 0; i < n; i++) { si[i] = xNew[i] - x[i]; yi[i] = gNew[i] - g[i]; }
            if (Dot(si, yi) > 1e-12)
            {
                s.Add(si); y.Add(yi);
                if (s.Count > memory) { s.RemoveAt(0); y.RemoveAt(0); }
            }
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            bool converged = Math.Abs(fx - fNew) <= 1e-10 * Math.Max(1, Math.Abs(fx));
            fx = fNew;
            if (converged) break;
        }
        return fx;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double MaxAbs(double[] a)
    {
        double m = 0;
        foreach (var v in a) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += a * x[i];
    }
}
