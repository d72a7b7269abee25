using System.Numerics.Tensors;

namespace ClipSharp.Tensors.Kernels;

// Training halves of the normalisation kernels. Shapes: R rows, C channels, B batch, S spatial
// positions. Backward kernels ACCUMULATE into d-prefixed buffers; an empty span is skipped.
// Statistics are taken in double so the backward agrees with the forward to float rounding.
public static partial class Normalization
{
    /// <summary>
    /// Backward of <see cref="LayerNorm"/> (statistics recomputed from x). With x̂ = (x − μ_r)·ρ_r,
    /// ρ_r = 1/√(σ²_r + eps) and g = dy ⊙ weight:
    /// dx[r, c] += ρ_r · (g[r, c] − mean_c g[r, ·] − x̂[r, c] · mean_c (g ⊙ x̂)[r, ·]),
    /// dweight[c] += Σ_r dy[r, c] · x̂[r, c], dbias[c] += Σ_r dy[r, c].
    /// </summary>
    public static void LayerNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int rows, int channels, float eps = 1e-5f)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * channels, channels);
            var dyr = dy.Slice(r * channels, channels);
            var (mean, rstd) = Moments(xr, eps);
            double sumG = 0, sumGx = 0;
            for (int c = 0; c < channels; c++)
            {
                double xhat = (xr[c] - mean) * rstd, g = (double)dyr[c] * weight[c];
                sumG += g;
                sumGx += g * xhat;
                if (!dweight.IsEmpty) dweight[c] += (float)(dyr[c] * xhat);
                if (!dbias.IsEmpty) dbias[c] += dyr[c];
            }
            if (dx.IsEmpty) continue;
            var dxr = dx.Slice(r * channels, channels);
            double meanG = sumG / channels, meanGx = sumGx / channels;
            for (int c = 0; c < channels; c++)
            {
                double xhat = (xr[c] - mean) * rstd, g = (double)dyr[c] * weight[c];
                dxr[c] += (float)(rstd * (g - meanG - xhat * meanGx));
            }
        }
    }

    /// <summary>(μ, 1/√(σ² + eps)) of one row, biased variance, in double.</summary>
    private static (double Mean, double Rstd) Moments(ReadOnlySpan<float> x, float eps)
    {
        double sum = 0;
        foreach (var v in x) sum += v;
        double mean = sum / x.Length, sq = 0;
        foreach (var v in x) sq += (v - mean) * (v - mean);
        return (mean, 1.0 / Math.Sqrt(sq / x.Length + eps));
    }

    /// <summary>
    /// BatchNorm in training mode on (B, C, S) data (PyTorch nn.BatchNorm2d.train()), overwriting y:
    /// μ_c and σ²_c are the mean and biased variance of channel c over the N = B·S values,
    /// y[b, c, s] = (x[b, c, s] − μ_c)/√(σ²_c + eps) · weight[c] + bias[c]. Writes μ_c to
    /// <paramref name="mean"/> and 1/√(σ²_c + eps) to <paramref name="invStd"/> (C each) for the backward.
    /// When runningMean/runningVar are non-empty they are updated in place with
    /// r ← (1 − momentum)·r + momentum·s, using the unbiased variance σ²_c·N/(N − 1) for runningVar.
    /// </summary>
    public static void BatchNormTraining(Span<float> y, Span<float> mean, Span<float> invStd, ReadOnlySpan<float> x,
        int batch, int channels, int spatial, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        Span<float> runningMean, Span<float> runningVar, float momentum = 0.1f, float eps = 1e-5f)
    {
        long n = (long)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int b = 0; b < batch; b++)
                foreach (var v in x.Slice((b * channels + c) * spatial, spatial)) sum += v;
            double mu = sum / n, sq = 0;
            for (int b = 0; b < batch; b++)
                foreach (var v in x.Slice((b * channels + c) * spatial, spatial)) sq += (v - mu) * (v - mu);
            double variance = sq / n, rstd = 1.0 / Math.Sqrt(variance + eps);
            mean[c] = (float)mu;
            invStd[c] = (float)rstd;
            float scale = (float)(weight[c] * rstd), shift = (float)(bias[c] - mu * weight[c] * rstd);
            for (int b = 0; b < batch; b++)
            {
                int at = (b * channels + c) * spatial;
                var dst = y.Slice(at, spatial);
                TensorPrimitives.Multiply(x.Slice(at, spatial), scale, dst);
                TensorPrimitives.Add(dst, shift, dst);
            }
            if (!runningMean.IsEmpty)
            {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * (float)mu;
                double unbiased = n > 1 ? sq / (n - 1) : variance;
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * (float)unbiased;
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="BatchNormTraining"/> (batch statistics depend on x). With x̂ = (x − μ_c)·ρ_c:
    /// dx[b, c, s] += weight[c]·ρ_c·(dy[b, c, s] − mean(dy_c) − x̂[b, c, s]·mean(dy_c ⊙ x̂_c)),
    /// dweight[c] += Σ dy ⊙ x̂, dbias[c] += Σ dy (sums and means over the B·S values of channel c).
    /// </summary>
    public static void BatchNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> invStd, int batch, int channels, int spatial)
    {
        long n = (long)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double mu = mean[c], rstd = invStd[c], sumDy = 0, sumDyX = 0;
            for (int b = 0; b < batch; b++)
            {
                int at = (b * channels + c) * spatial;
                for (int s = 0; s < spatial; s++)
                {
                    double g = dy[at + s];
                    sumDy += g;
                    sumDyX += g * (x[at + s] - mu) * rstd;
                }
            }
            if (!dweight.IsEmpty) dweight[c] += (float)sumDyX;
            if (!dbias.IsEmpty) dbias[c] += (float)sumDy;
            if (dx.IsEmpty) continue;
            double meanDy = sumDy / n, meanDyX = sumDyX / n, k = weight[c] * rstd;
            for (int b = 0; b < batch; b++)
            {
                int at = (b * channels + c) * spatial;
                for (int s = 0; s < spatial; s++)
                {
                    double xhat = (x[at + s] - mu) * rstd;
                    dx[at + s] += (float)(k * (dy[at + s] - meanDy - xhat * meanDyX));
                }
            }
        }
    }

    /// <summary>y[r, :] = x[r, :] / ‖x[r, :]‖₂ for x, y (R, C), overwriting y; a zero row stays zero.</summary>
    public static void L2NormalizeRows(Span<float> y, ReadOnlySpan<float> x, int rows, int channels)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = x.Slice(r * channels, channels);
            float norm = TensorPrimitives.Norm(row);
            TensorPrimitives.Multiply(row, norm > 0 ? 1f / norm : 0f, y.Slice(r * channels, channels));
        }
    }

    /// <summary>
    /// Backward of <see cref="L2NormalizeRows"/>: with y = x/‖x‖,
    /// dx[r, :] += (dy[r, :] − y[r, :] · (y[r, :]·dy[r, :])) / ‖x[r, :]‖ (nothing for a zero row).
    /// </summary>
    public static void L2NormalizeRowsBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        int rows, int channels)
    {
        for (int r = 0; r < rows; r++)
        {
            var xr = x.Slice(r * channels, channels);
            double norm = 0;
            foreach (var v in xr) norm += (double)v * v;
            norm = Math.Sqrt(norm);
            if (norm == 0) continue;
            var yr = y.Slice(r * channels, channels);
            var dyr = dy.Slice(r * channels, channels);
            double dot = 0;
            for (int c = 0; c < channels; c++) dot += (double)yr[c] * dyr[c];
            var dxr = dx.Slice(r * channels, channels);
            for (int c = 0; c < channels; c++) dxr[c] += (float)((dyr[c] - yr[c] * dot) / norm);
        }
    }
}
