namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Post-processing fused into <see cref="Gemm.Multiply(ComputeContext, Span{float}, int, ReadOnlySpan{float}, int, PackedMatrix, int, bool, ReadOnlySpan{float}, bool, GemmRowEpilogue)"/>:
/// receives <paramref name="values"/> = C[row, column .. column + values.Length), fully summed and
/// with the bias added, and may rewrite them in place (e.g. <c>TensorPrimitives</c> GELU).
/// Every element of C is passed exactly once; calls for different segments may run concurrently on
/// worker threads and in any order, so the callback must not depend on order or shared mutable state,
/// and must not itself call <see cref="Gemm"/> (it runs while the caller's packing scratch is in use).
/// </summary>
public delegate void GemmRowEpilogue(Span<float> values, int row, int column);
