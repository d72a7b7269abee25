using System.Numerics.Tensors;

namespace ClipSharp.Tensors.Kernels;

/// <summary>Row-wise softmax.</summary>
public static partial class Softmax
{
    /// <summary>
    /// In place over each row of x (R, C): x[r, c] = exp(x[r, c] − max_r) / Σ_c' exp(x[r, c'] − max_r).
    /// Entries equal to −∞ (masked) become 0; a row that is entirely −∞ becomes all zeros.
    /// </summary>
    public static void Rows(Span<float> x, int rows, int columns)
    {
        for (int r = 0; r < rows; r++) Row(x.Slice(r * columns, columns));
    }

    /// <summary>Softmax of one row, in place.</summary>
    public static void Row(Span<float> row)
    {
        if (row.IsEmpty) return;
        float max = TensorPrimitives.Max(row);
        if (float.IsNegativeInfinity(max)) { row.Clear(); return; }
        TensorPrimitives.Subtract(row, max, row);
        TensorPrimitives.Exp(row, row);
        float sum = TensorPrimitives.Sum(row);
        TensorPrimitives.Multiply(row, 1f / sum, row);
    }
}
