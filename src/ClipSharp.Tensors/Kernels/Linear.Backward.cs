namespace ClipSharp.Tensors.Kernels;

// Backward halves of the dense layers. Every kernel ACCUMULATES into its gradient buffers (d prefix);
// an empty gradient span means "not needed" and is skipped.
public static partial class Linear
{
    /// <summary>
    /// Backward of <see cref="Forward"/> (y = x Wᵀ + b, W stored (O, I)):
    /// dx[r, i] += Σ_o dy[r, o] · weight[o, i]  (dX += dY·W),
    /// dweight[o, i] += Σ_r dy[r, o] · x[r, i]  (dW += dYᵀ·X),
    /// dbias[o] += Σ_r dy[r, o].
    /// </summary>
    public static void ForwardBackward(ComputeContext ctx, Span<float> dx, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int rows, int inFeatures, int outFeatures)
    {
        if (!dx.IsEmpty)
            Gemm.Multiply(ctx, dx, inFeatures, dy, outFeatures, false, weight, inFeatures, false, rows, inFeatures, outFeatures, accumulate: true);
        if (!dweight.IsEmpty)
            Gemm.Multiply(ctx, dweight, inFeatures, dy, outFeatures, true, x, inFeatures, false, outFeatures, inFeatures, rows, accumulate: true);
        if (!dbias.IsEmpty) SumRows(dbias, dy, rows, outFeatures);
    }

    /// <summary>
    /// Backward of <see cref="Project"/> (y = x·W, W stored (I, O)):
    /// dx[r, i] += Σ_o dy[r, o] · w[i, o]  (dX += dY·Wᵀ), dw[i, o] += Σ_r x[r, i] · dy[r, o]  (dW += Xᵀ·dY).
    /// </summary>
    public static void ProjectBackward(ComputeContext ctx, Span<float> dx, Span<float> dw,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, int rows, int inFeatures, int outFeatures)
    {
        if (!dx.IsEmpty)
            Gemm.Multiply(ctx, dx, inFeatures, dy, outFeatures, false, w, outFeatures, true, rows, inFeatures, outFeatures, accumulate: true);
        if (!dw.IsEmpty)
            Gemm.Multiply(ctx, dw, outFeatures, x, inFeatures, true, dy, outFeatures, false, inFeatures, outFeatures, rows, accumulate: true);
    }

    /// <summary>dv[c] += Σ_r dy[r, c] over the R rows of dy (R, C); the backward of <see cref="AddRowVector"/>.</summary>
    public static void SumRows(Span<float> dv, ReadOnlySpan<float> dy, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = dy.Slice(r * columns, columns);
            System.Numerics.Tensors.TensorPrimitives.Add(dv[..columns], row, dv[..columns]);
        }
    }

    /// <summary>
    /// Backward of <see cref="Embedding"/>: dtable[ids[r], c] += dy[r, c]. Only the rows named in ids are
    /// touched (a sparse row update of the (V, C) table gradient).
    /// </summary>
    public static void EmbeddingBackward(Span<float> dtable, ReadOnlySpan<float> dy, ReadOnlySpan<int> ids, int channels)
    {
        for (int r = 0; r < ids.Length; r++)
        {
            var dst = dtable.Slice(ids[r] * channels, channels);
            System.Numerics.Tensors.TensorPrimitives.Add(dst, dy.Slice(r * channels, channels), dst);
        }
    }
}
