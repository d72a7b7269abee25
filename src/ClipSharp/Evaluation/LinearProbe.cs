namespace ClipSharp.Evaluation;

// Letters: N samples, D feature dim, K classes.

/// <summary>
/// L2-regularised multinomial logistic regression on frozen features, as the CLIP paper's linear
/// probes: minimise (1/N) Σ CE(softmax(W x_n + b), y_n) + (λ/2) ‖W‖² with L-BFGS, choosing λ on a
/// held-out validation split by a coarse log-grid sweep followed by a finer one around the best.
/// </summary>
public sealed class LinearProbe
{
    public int Classes { get; }
    public int Dimension { get; }

    /// <summary>Weights (K, D) followed by biases (K), row-major.</summary>
    public double[] Parameters { get; }

    /// <summary>The regularisation strength the model was trained with.</summary>
    public double Lambda { get; }

    private LinearProbe(int classes, int dimension, double[] parameters, double lambda)
    {
        (Classes, Dimension, Parameters, Lambda) = (classes, dimension, parameters, lambda);
    }

    /// <summary>Trains with a fixed λ.</summary>
    public static LinearProbe Train(float[][] features, int[] labels, int classes, double lambda, int maxIterations = 500)
    {
        Validate(features, labels, classes);
        int d = features[0].Length;
        var objective = new Objective(features, labels, classes, lambda);
        var w = new double[classes * d + classes];
        Lbfgs.Minimize(objective.Evaluate, w, maxIterations);
        return new LinearProbe(classes, d, w, lambda);
    }

    /// <summary>
    /// Chooses λ on a validation split (the last <paramref name="validationFraction"/> of a seeded
    /// shuffle), then retrains on all the data with it. Returns the model and the sweep's results.
    /// </summary>
    public static (LinearProbe Model, IReadOnlyList<(double Lambda, double Accuracy)> Sweep) TrainWithValidation(
        float[][] features, int[] labels, int classes, double validationFraction = 0.2, int seed = 0, int maxIterations = 300)
    {
        Validate(features, labels, classes);
        var order = Enumerable.Range(0, features.Length).ToArray();
        new Random(seed).Shuffle(order);
        int nVal = Math.Clamp((int)Math.Round(features.Length * validationFraction), 1, features.Length - 1);
        var trainIdx = order[..^nVal];
        var valIdx = order[^nVal..];
        var xTrain = trainIdx.Select(i => features[i]).ToArray();
        var yTrain = trainIdx.Select(i => labels[i]).ToArray();
        var xVal = valIdx.Select(i => features[i]).ToArray();
        var yVal = valIdx.Select(i => labels[i]).ToArray();

        var sweep = new List<(double, double)>();
        double Score(double lambda)
        {
            var probe = Train(xTrain, yTrain, classes, lambda, maxIterations);
            double acc = probe.Accuracy(xVal, yVal);
            sweep.Add((lambda, acc));
            return acc;
        }
        // Coarse: λ = 10^-6 .. 10^2; fine: quarter-decades around the best (ties → larger λ).
        double best = 0, bestAcc = double.NegativeInfinity;
        for (int e = -6; e <= 2; e += 2)
        {
            double l = Math.Pow(10, e), acc = Score(l);
            if (acc >= bestAcc) (best, bestAcc) = (l, acc);
        }
        foreach (double step in new[] { -1.0, -0.5, 0.5, 1.0 })
        {
            double l = best * Math.Pow(10, step), acc = Score(l);
            if (acc > bestAcc) (best, bestAcc) = (l, acc);
        }
        return (Train(features, labels, classes, best, maxIterations), sweep);
    }

    /// <summary>Class scores W x + b for one sample.</summary>
    public double[] Logits(ReadOnlySpan<float> x)
    {
        var z = new double[Classes];
        for (int k = 0; k < Classes; k++)
        {
            double s = Parameters[Classes * Dimension + k];
            for (int j = 0; j < Dimension; j++) s += Parameters[k * Dimension + j] * x[j];
            z[k] = s;
        }
        return z;
    }

    public int Predict(ReadOnlySpan<float> x)
    {
        var z = Logits(x);
        int best = 0;
        for (int k = 1; k < z.Length; k++) if (z[k] > z[best]) best = k;
        return best;
    }

    public double Accuracy(float[][] features, int[] labels) =>
        features.Length == 0 ? 0 : features.Select((x, i) => Predict(x) == labels[i] ? 1.0 : 0.0).Average();

    private static void Validate(float[][] features, int[] labels, int classes)
    {
        if (features.Length == 0) throw new ArgumentException("no samples to train the linear probe on");
        if (features.Length != labels.Length) throw new ArgumentException($"{features.Length} feature rows but {labels.Length} labels");
        int d = features[0].Length;
        foreach (var f in features) if (f.Length != d) throw new ArgumentException("feature rows differ in length");
        foreach (var y in labels) if ((uint)y >= (uint)classes) throw new ArgumentException($"label {y} outside [0, {classes})");
    }

    /// <summary>Loss and gradient of the regularised cross-entropy.</summary>
    private sealed class Objective(float[][] x, int[] y, int classes, double lambda)
    {
        public double Evaluate(double[] w, double[] grad)
        {
            int n = x.Length, d = x[0].Length, biasAt = classes * d;
            Array.Clear(grad);
            double loss = 0;
            var z = new double[classes];
            for (int i = 0; i < n; i++)
            {
                var xi = x[i];
                double max = double.NegativeInfinity;
                for (int k = 0; k < classes; k++)
                {
                    double s = w[biasAt + k];
                    for (int j = 0; j < d; j++) s += w[k * d + j] * xi[j];
                    z[k] = s;
                    max = Math.Max(max, s);
                }
                double sum = 0;
                for (int k = 0; k < classes; k++) sum += z[k] = Math.Exp(z[k] - max);
                loss -= Math.Log(z[y[i]] / sum);
                for (int k = 0; k < classes; k++)
                {
                    double g = (z[k] / sum - (k == y[i] ? 1 : 0)) / n;
                    grad[biasAt + k] += g;
                    for (int j = 0; j < d; j++) grad[k * d + j] += g * xi[j];
                }
            }
            loss /= n;
            for (int j = 0; j < biasAt; j++)
            {
                loss += 0.5 * lambda * w[j] * w[j];
                grad[j] += lambda * w[j];
            }
            return loss;
        }
    }
}
