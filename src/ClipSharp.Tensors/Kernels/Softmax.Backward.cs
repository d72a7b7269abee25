namespace ClipSharp.Tensors.Kernels;

// Softmax backward and the fused losses. Shapes: R rows, K classes (columns).
public static partial class Softmax
{
    /// <summary>
    /// Backward of <see cref="Row"/> given its output p: dx[c] += p[c]·(dp[c] − Σ_c' dp[c']·p[c']).
    /// Masked entries (p = 0) receive nothing.
    /// </summary>
    public static void RowBackward(Span<float> dx, ReadOnlySpan<float> dp, ReadOnlySpan<float> p)
    {
        double dot = 0;
        for (int c = 0; c < p.Length; c++) dot += (double)dp[c] * p[c];
        float d = (float)dot;
        for (int c = 0; c < p.Length; c++) dx[c] += p[c] * (dp[c] - d);
    }

    /// <summary>
    /// Fused softmax + cross-entropy, mean over rows (PyTorch F.cross_entropy, reduction 'mean'):
    /// returns L = (1/R) Σ_r (log Σ_k exp(logits[r, k]) − logits[r, targets[r]]), computed stably in
    /// double, and overwrites probs (R, K) with softmax(logits) for <see cref="CrossEntropyBackward"/>.
    /// </summary>
    public static double CrossEntropy(Span<float> probs, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int rows, int classes)
    {
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * classes, classes);
            int t = targets[r];
            if ((uint)t >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), $"target {t} in row {r} is outside [0, {classes})");
            double max = double.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, v);
            double sum = 0;
            foreach (var v in row) sum += Math.Exp(v - max);
            double logSum = max + Math.Log(sum);
            total += logSum - row[t];
            var pr = probs.Slice(r * classes, classes);
            for (int k = 0; k < classes; k++) pr[k] = (float)Math.Exp(row[k] - logSum);
        }
        return total / rows;
    }

    /// <summary>
    /// Backward of <see cref="CrossEntropy"/>: dlogits[r, k] += dloss/R · (probs[r, k] − [k = targets[r]]).
    /// </summary>
    public static void CrossEntropyBackward(Span<float> dlogits, float dloss, ReadOnlySpan<float> probs, ReadOnlySpan<int> targets, int rows, int classes)
    {
        float scale = dloss / rows;
        for (int r = 0; r < rows; r++)
        {
            var d = dlogits.Slice(r * classes, classes);
            var p = probs.Slice(r * classes, classes);
            for (int k = 0; k < classes; k++) d[k] += scale * p[k];
            d[targets[r]] -= scale;
        }
    }

    /// <summary>
    /// SigLIP's pairwise sigmoid loss on square logits (N, N): L = −(1/N) Σ_{i, j} log σ(z_ij · logits[i, j])
    /// with z_ij = +1 when i = j, −1 otherwise; log σ evaluated stably in double.
    /// </summary>
    public static double SigmoidPairLoss(ReadOnlySpan<float> logits, int n)
    {
        double total = 0;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            double m = (i == j ? 1.0 : -1.0) * logits[i * n + j];
            total += m >= 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));  // −log σ(m)
        }
        return total / n;
    }

    /// <summary>Backward of <see cref="SigmoidPairLoss"/>: dlogits[i, j] += −dloss/N · z_ij · σ(−z_ij · logits[i, j]).</summary>
    public static void SigmoidPairLossBackward(Span<float> dlogits, float dloss, ReadOnlySpan<float> logits, int n)
    {
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
        {
            double z = i == j ? 1.0 : -1.0;
            double sig = 1.0 / (1.0 + Math.Exp(z * logits[i * n + j]));  // σ(−z·l)
            dlogits[i * n + j] += (float)(-dloss / n * z * sig);
        }
    }
}
