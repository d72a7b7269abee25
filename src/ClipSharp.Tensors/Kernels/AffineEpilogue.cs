using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// A frozen BatchNorm after a convolution's GEMM, in one pass over a row segment while it is in L1:
/// v = v·scale + shift (a multiply, then an add: the rounding of separate passes), then optionally + residual,
/// then optionally ReLU. The four passes it replaces cost more than the GEMM on short rows (a 32-channel
/// stem convolution has 27 multiply-adds per output).
/// </summary>
public static class AffineEpilogue
{
    /// <param name="residual">Added after the shift; empty for none, else at least values.Length long.</param>
    public static void Apply(Span<float> values, ReadOnlySpan<float> scale, ReadOnlySpan<float> shift,
        ReadOnlySpan<float> residual, bool relu, IsaLevel isa)
    {
        int n = values.Length;
        if (scale.Length < n || shift.Length < n || (!residual.IsEmpty && residual.Length < n))
            throw new ArgumentException($"scale ({scale.Length}), shift ({shift.Length}) and residual ({residual.Length}) must cover the {n} values");
        bool add = !residual.IsEmpty;
        ref float v = ref MemoryMarshal.GetReference(values);
        ref float s = ref MemoryMarshal.GetReference(scale);
        ref float t = ref MemoryMarshal.GetReference(shift);
        ref float r = ref MemoryMarshal.GetReference(residual);
        int i = 0;
        if (isa >= IsaLevel.Avx512 && Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
            {
                var x = Vector512.LoadUnsafe(ref v, (nuint)i) * Vector512.LoadUnsafe(ref s, (nuint)i) + Vector512.LoadUnsafe(ref t, (nuint)i);
                if (add) x += Vector512.LoadUnsafe(ref r, (nuint)i);
                if (relu) x = ReluOperator.Invoke(x);
                x.StoreUnsafe(ref v, (nuint)i);
            }
        if (isa >= IsaLevel.Avx2 && Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
            {
                var x = Vector256.LoadUnsafe(ref v, (nuint)i) * Vector256.LoadUnsafe(ref s, (nuint)i) + Vector256.LoadUnsafe(ref t, (nuint)i);
                if (add) x += Vector256.LoadUnsafe(ref r, (nuint)i);
                if (relu) x = ReluOperator.Invoke(x);
                x.StoreUnsafe(ref v, (nuint)i);
            }
        if (isa >= IsaLevel.Vector128 && Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
            {
                var x = Vector128.LoadUnsafe(ref v, (nuint)i) * Vector128.LoadUnsafe(ref s, (nuint)i) + Vector128.LoadUnsafe(ref t, (nuint)i);
                if (add) x += Vector128.LoadUnsafe(ref r, (nuint)i);
                if (relu) x = ReluOperator.Invoke(x);
                x.StoreUnsafe(ref v, (nuint)i);
            }
        for (; i < n; i++)
        {
            float x = Unsafe.Add(ref v, i) * Unsafe.Add(ref s, i) + Unsafe.Add(ref t, i);
            if (add) x += Unsafe.Add(ref r, i);
            if (relu) x = ReluOperator.Invoke(x);
            Unsafe.Add(ref v, i) = x;
        }
    }
}
