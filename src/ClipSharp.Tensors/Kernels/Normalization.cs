using System.Numerics.Tensors;

namespace ClipSharp.Tensors.Kernels;

/// <summary>Normalisation kernels. Shapes: R rows, C channels.</summary>
public static partial class Normalization
{
    /// <summary>
    /// LayerNorm over the last dimension, overwriting y (may alias x):
    /// y[r, c] = (x[r, c] − μ_r) / √(σ²_r + eps) · weight[c] + bias[c], with μ_r and the biased
    /// variance σ²_r taken over the C values of row r. x, y: (R, C).
    /// </summary>
    public static void LayerNorm(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int rows, int channels, float eps = 1e-5f)
    {
        if (x.Length < rows * channels || y.Length < rows * channels) throw new ArgumentException("LayerNorm: buffers shorter than rows × channels");
        if (weight.Length != channels || bias.Length != channels)
            throw new ArgumentException($"LayerNorm: weight/bias length {weight.Length}/{bias.Length}, expected {channels}");
        for (int r = 0; r < rows; r++)
            LayerNormRow(y.Slice(r * channels, channels), x.Slice(r * channels, channels), weight, bias, eps);
    }

    /// <summary>One row of <see cref="LayerNorm"/>.</summary>
    public static void LayerNormRow(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps)
    {
        int c = x.Length;
        float mean = TensorPrimitives.Sum(x) / c;
        // Two-pass variance: Σ (x − μ)² / C, computed without a temporary via Σx² − C μ² would lose
        // precision; use a stack buffer for rows up to 4096 wide, else rent.
        float[]? rented = null;
        Span<float> centred = c <= 4096 ? stackalloc float[c] : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(c)).AsSpan(0, c);
        TensorPrimitives.Subtract(x, mean, centred);
        float variance = TensorPrimitives.SumOfSquares(centred) / c;
        float inv = 1f / MathF.Sqrt(variance + eps);
        TensorPrimitives.Multiply(centred, inv, centred);
        TensorPrimitives.FusedMultiplyAdd(centred, weight, bias, y);
        if (rented != null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }
}
