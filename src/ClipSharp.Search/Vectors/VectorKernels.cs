using System.Numerics.Tensors;

namespace ClipSharp.Search.Vectors;

// Letters: R rows of a matrix, D vector dimension.

/// <summary>
/// Allocation-free span kernels for similarity search. SIMD comes from
/// <see cref="TensorPrimitives"/>, which picks AVX-512 / AVX2 / Vector128 / scalar at run time
/// (and honours DOTNET_EnableAVX512=0 etc.). Scalar double-precision references live in
/// <c>VectorKernels.Reference.cs</c>.
/// </summary>
public static partial class VectorKernels
{
    /// <summary>Rows scored per call by the search loops: small enough for L1/L2, large enough to amortise.</summary>
    public const int BlockRows = 256;

    /// <summary>Returns <c>Σ_d a[d]·b[d]</c> (float32 accumulation).</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);

    /// <summary>
    /// Overwrites <c>scores[r] = Σ_d rows[r·D + d] · query[d]</c> for r in [0, scores.Length), D = query.Length.
    /// </summary>
    /// <param name="scores">Output, length R.</param>
    /// <param name="rows">Row-major (R, D) matrix.</param>
    /// <param name="query">Query vector, length D.</param>
    public static void ScoreRows(Span<float> scores, ReadOnlySpan<float> rows, ReadOnlySpan<float> query)
    {
        int d = query.Length;
        if (rows.Length < scores.Length * d)
            throw new ArgumentException($"rows holds {rows.Length} floats, need {scores.Length} x {d}");
        for (int r = 0; r < scores.Length; r++)
            scores[r] = TensorPrimitives.Dot(rows.Slice(r * d, d), query);
    }

    /// <summary>
    /// Overwrites <c>scores[r] = Σ_d float(rows[r·D + d]) · query[d]</c>: each float16 row is widened
    /// exactly to float32 in <paramref name="scratch"/> (length ≥ D) and then dotted in float32, so the
    /// result equals <see cref="ScoreRows(Span{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/> on
    /// the widened matrix.
    /// </summary>
    public static void ScoreRows(Span<float> scores, ReadOnlySpan<Half> rows, ReadOnlySpan<float> query, Span<float> scratch)
    {
        int d = query.Length;
        if (rows.Length < scores.Length * d)
            throw new ArgumentException($"rows holds {rows.Length} halves, need {scores.Length} x {d}");
        var row = scratch[..d];
        for (int r = 0; r < scores.Length; r++)
        {
            TensorPrimitives.ConvertToSingle(rows.Slice(r * d, d), row);
            scores[r] = TensorPrimitives.Dot(row, query);
        }
    }

    /// <summary>
    /// Overwrites <c>v ← v / ‖v‖₂</c> and returns ‖v‖₂. A zero (or non-finite) vector is left as is
    /// and its norm returned, so callers can reject it.
    /// </summary>
    public static float Normalize(Span<float> v)
    {
        float norm = TensorPrimitives.Norm(v);
        if (norm > 0 && float.IsFinite(norm)) TensorPrimitives.Divide(v, norm, v);
        return norm;
    }

    /// <summary>Returns a normalised copy of <paramref name="v"/>; throws if its norm is zero or not finite.</summary>
    public static float[] Normalized(ReadOnlySpan<float> v, string what = "vector")
    {
        var copy = v.ToArray();
        float norm = Normalize(copy);
        if (!(norm > 0) || !float.IsFinite(norm))
            throw new ArgumentException($"{what} has norm {norm}; cannot normalise (length {v.Length})");
        return copy;
    }
}
