using System.Numerics.Tensors;

namespace ClipSharp.Search.Vectors;

/// <summary>Element type of stored vectors.</summary>
public enum VectorPrecision
{
    /// <summary>IEEE binary32, 4 bytes per element.</summary>
    Float32 = 1,
    /// <summary>IEEE binary16 (<see cref="Half"/>), 2 bytes per element; ample for cosine ranking of unit vectors.</summary>
    Float16 = 2,
}

/// <summary>
/// A contiguous row-major (R, D) matrix of vectors in float32 or float16. Row r is vector r; searches
/// return row numbers, which callers map to their own ids. Immutable once built.
/// </summary>
public sealed class EmbeddingMatrix
{
    private readonly float[]? _f32;
    private readonly Half[]? _f16;

    /// <summary>Number of rows R.</summary>
    public int Rows { get; }

    /// <summary>Vector length D.</summary>
    public int Dimension { get; }

    public VectorPrecision Precision => _f32 != null ? VectorPrecision.Float32 : VectorPrecision.Float16;

    /// <summary>Wraps float32 data of length R·D (not copied).</summary>
    public EmbeddingMatrix(int rows, int dimension, float[] data)
    {
        Check(rows, dimension, data.Length);
        Rows = rows; Dimension = dimension; _f32 = data;
    }

    /// <summary>Wraps float16 data of length R·D (not copied).</summary>
    public EmbeddingMatrix(int rows, int dimension, Half[] data)
    {
        Check(rows, dimension, data.Length);
        Rows = rows; Dimension = dimension; _f16 = data;
    }

    private static void Check(int rows, int dimension, long length)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "negative row count");
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "dimension must be positive");
        if (length != (long)rows * dimension)
            throw new ArgumentException($"matrix ({rows}, {dimension}) needs {(long)rows * dimension} elements, got {length}");
    }

    /// <summary>Builds a matrix from rows, converting to <paramref name="precision"/>. Rows are copied as given (not normalised).</summary>
    public static EmbeddingMatrix FromRows(IReadOnlyList<float[]> rows, int dimension, VectorPrecision precision = VectorPrecision.Float32)
    {
        var f32 = new float[(long)rows.Count * dimension];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].Length != dimension)
                throw new ArgumentException($"row {r} has length {rows[r].Length}, expected {dimension}");
            rows[r].CopyTo(f32, (long)r * dimension);
        }
        if (precision == VectorPrecision.Float32) return new EmbeddingMatrix(rows.Count, dimension, f32);
        var f16 = new Half[f32.Length];
        TensorPrimitives.ConvertToHalf(f32, f16);
        return new EmbeddingMatrix(rows.Count, dimension, f16);
    }

    /// <summary>The float32 storage (throws for a float16 matrix).</summary>
    public ReadOnlySpan<float> Float32Data => _f32 ?? throw new InvalidOperationException("matrix is float16");

    /// <summary>The float16 storage (throws for a float32 matrix).</summary>
    public ReadOnlySpan<Half> Float16Data => _f16 ?? throw new InvalidOperationException("matrix is float32");

    /// <summary>Writes row <paramref name="row"/> widened to float32 into <paramref name="destination"/> (length ≥ D).</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"matrix has {Rows} rows");
        int d = Dimension;
        if (_f32 != null) _f32.AsSpan(row * d, d).CopyTo(destination);
        else TensorPrimitives.ConvertToSingle(_f16.AsSpan(row * d, d), destination[..d]);
    }

    /// <summary>Row <paramref name="row"/> as a new float32 array.</summary>
    public float[] GetRow(int row)
    {
        var v = new float[Dimension];
        CopyRow(row, v);
        return v;
    }

    /// <summary>
    /// Overwrites <c>scores[i] = row(first + i) · query</c> for i in [0, scores.Length).
    /// <paramref name="scratch"/> (length ≥ D) is used only for float16.
    /// </summary>
    public void Score(int first, Span<float> scores, ReadOnlySpan<float> query, Span<float> scratch)
    {
        int d = Dimension;
        if (query.Length != d) throw new ArgumentException($"query has length {query.Length}, matrix dimension is {d}");
        if (first < 0 || first + scores.Length > Rows)
            throw new ArgumentOutOfRangeException(nameof(first), first, $"rows [{first}, {first + scores.Length}) outside [0, {Rows})");
        if (_f32 != null) VectorKernels.ScoreRows(scores, _f32.AsSpan(first * d, scores.Length * d), query);
        else VectorKernels.ScoreRows(scores, _f16.AsSpan(first * d, scores.Length * d), query, scratch);
    }
}
