using System.Numerics.Tensors;

namespace ClipSharp.Tensors.Kernels;

/// <summary>Dense layers and lookups. Shapes: R rows, I in-features, O out-features.</summary>
public static partial class Linear
{
    /// <summary>
    /// y[r, o] = (accumulate ? y[r, o] : 0) + Σ_i x[r, i] · weight[o, i] + bias[o] (PyTorch nn.Linear;
    /// weight stored (O, I)); bias may be empty for no bias. <paramref name="epilogue"/> (an activation,
    /// say) then rewrites each finished row segment while it is in cache, on the GEMM's worker threads.
    /// With accumulate, y is a residual stream and the layer's output is added to it in the same pass.
    /// </summary>
    public static void Forward(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int rows, int inFeatures, int outFeatures, bool accumulate = false, GemmRowEpilogue? epilogue = null)
    {
        Gemm.Multiply(ctx, y, outFeatures, x, inFeatures, false, weight, inFeatures, true, rows, outFeatures, inFeatures,
            accumulate, bias, epilogue);
    }

    /// <summary>y[r, o] = Σ_i x[r, i] · w[i, o] (projection matrices stored (I, O), like CLIP's proj), overwriting y.</summary>
    public static void Project(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> w,
        int rows, int inFeatures, int outFeatures)
    {
        Gemm.Multiply(ctx, y, outFeatures, x, inFeatures, false, w, outFeatures, false, rows, outFeatures, inFeatures);
    }

    /// <summary>y[r, c] += v[c] for every row r of y (R, C).</summary>
    public static void AddRowVector(Span<float> y, ReadOnlySpan<float> v, int rows, int columns)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = y.Slice(r * columns, columns);
            TensorPrimitives.Add(row, v, row);
        }
    }

    /// <summary>y[r, :] = table[ids[r], :] for a (V, C) table; throws on an id outside [0, V).</summary>
    public static void Embedding(Span<float> y, ReadOnlySpan<int> ids, ReadOnlySpan<float> table, int vocab, int channels)
    {
        for (int r = 0; r < ids.Length; r++)
        {
            int id = ids[r];
            if ((uint)id >= (uint)vocab) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} at position {r} is outside the vocabulary of {vocab}");
            table.Slice(id * channels, channels).CopyTo(y.Slice(r * channels, channels));
        }
    }
}
