namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// The right-hand operand B (K x N) of <see cref="Gemm"/> pre-packed into the panel layout the
/// micro-kernels read, so a weight matrix is rearranged once at model load instead of on every call.
/// Create with <see cref="Gemm.PackB"/>. Immutable once built; safe to share across threads.
/// The layout does not depend on the instruction set, so one packed matrix serves every
/// <see cref="ComputeContext"/>.
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly GemmBuffer _buffer;

    /// <summary>Depth K (rows of B, the reduction dimension).</summary>
    public int Rows { get; }

    /// <summary>Width N (columns of B, columns of C).</summary>
    public int Columns { get; }

    internal float* Data => _buffer.Pointer;

    internal int PaddedColumns => GemmLayout.PaddedColumns(Columns);

    internal PackedMatrix(GemmBuffer buffer, int rows, int columns)
    {
        _buffer = buffer;
        Rows = rows;
        Columns = columns;
    }
}
