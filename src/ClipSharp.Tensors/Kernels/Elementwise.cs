using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ClipSharp.Tensors.Kernels;

/// <summary>A float → float function with scalar and SIMD forms that agree to float rounding.</summary>
public interface IUnaryOperator
{
    static abstract float Invoke(float x);
    static abstract Vector128<float> Invoke(Vector128<float> x);
    static abstract Vector256<float> Invoke(Vector256<float> x);
    static abstract Vector512<float> Invoke(Vector512<float> x);
}

/// <summary>
/// The one loop driver for elementwise kernels: y[i] = TOp(x[i]) for i &lt; x.Length, overwriting y
/// (x and y may be the same span). Uses the widest vector the context allows, then a scalar tail.
/// </summary>
public static partial class Elementwise
{
    public static void Apply<TOp>(ReadOnlySpan<float> x, Span<float> y, IsaLevel isa = IsaLevel.Avx512)
        where TOp : IUnaryOperator
    {
        if (y.Length < x.Length) throw new ArgumentException($"output length {y.Length} < input length {x.Length}");
        ref float xs = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        ref float ys = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(y);
        int i = 0, n = x.Length;
        if (isa >= IsaLevel.Avx512 && Vector512.IsHardwareAccelerated)
            for (; i <= n - 16; i += 16)
                TOp.Invoke(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        if (isa >= IsaLevel.Avx2 && Vector256.IsHardwareAccelerated)
            for (; i <= n - 8; i += 8)
                TOp.Invoke(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        if (isa >= IsaLevel.Vector128 && Vector128.IsHardwareAccelerated)
            for (; i <= n - 4; i += 4)
                TOp.Invoke(Vector128.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        for (; i < n; i++)
            Unsafe.Add(ref ys, i) = TOp.Invoke(Unsafe.Add(ref xs, i));
    }
}

/// <summary>QuickGELU (OpenAI CLIP): y = x · σ(1.702 x).</summary>
public readonly struct QuickGeluOperator : IUnaryOperator
{
    public static float Invoke(float x) => x / (1f + MathF.Exp(-1.702f * x));
    public static Vector128<float> Invoke(Vector128<float> x) => x / (Vector128<float>.One + Vector128.Exp(x * Vector128.Create(-1.702f)));
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + FloatExp.Exp(x * Vector256.Create(-1.702f)));
    public static Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + FloatExp.Exp(x * Vector512.Create(-1.702f)));
}

/// <summary>
/// exp for 16 (or 8) floats in float arithmetic (Vector512.Exp and Vector256.Exp go through double, several times slower):
/// x = n·ln 2 + r with |r| ≤ ln 2 / 2 (ln 2 split in two parts so r is exact), e^r by a degree-6
/// minimax polynomial (relative error about 1e-7), and 2^n applied exactly by VSCALEFPS. Overflows to
/// +∞ and underflows to 0 like MathF.Exp; NaN stays NaN.
/// </summary>
public static class FloatExp
{
    public static Vector512<float> Exp(Vector512<float> x)
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return PerLane(x);
        var p = Reduced<Vector512<float>, Simd512>(x, out var n);
        var result = System.Runtime.Intrinsics.X86.Avx512F.Scale(p, n);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), result, x);   // NaN stays NaN
    }

    /// <summary>
    /// The same exp for 8 floats, for AVX2 (where Vector256.Exp also goes through double): the same operations, so the
    /// same results as the 16-float form; 2^n is applied as two exact power-of-two factors (n = h + (n − h), each a
    /// normal float) so the one rounding happens where VSCALEFPS's does, subnormals included.
    /// </summary>
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var p = Reduced<Vector256<float>, Simd256>(x, out var n);
        // n is in [−150, 128]: halves in [−75, 64], each 2^h a normal float built from its exponent bits.
        var whole = Vector256.ConvertToInt32(n);
        var half = Vector256.ShiftRightArithmetic(whole, 1);
        var first = Vector256.ShiftLeft(half + Vector256.Create(127), 23).AsSingle();
        var second = Vector256.ShiftLeft(whole - half + Vector256.Create(127), 23).AsSingle();
        var result = p * first * second;
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), result, x);   // NaN stays NaN
    }

    /// <summary>e^r for x = n·ln 2 + r (x clamped to where the result is finite and not yet 0), and n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Reduced<TV, TS>(TV x, out TV n) where TV : struct where TS : ISimd<TV>
    {
        // Beyond these bounds the result is +∞ or 0 already; clamping keeps n finite.
        x = TS.Min(TS.Max(x, TS.Broadcast(-104f)), TS.Broadcast(89f));
        n = TS.Round(TS.Multiply(x, TS.Broadcast(1.44269504088896341f)));
        var r = TS.Fma(n, TS.Broadcast(-0.693359375f), x);
        r = TS.Fma(n, TS.Broadcast(2.12194440e-4f), r);
        var p = TS.Broadcast(1.9875691500e-4f);
        p = TS.Fma(p, r, TS.Broadcast(1.3981999507e-3f));
        p = TS.Fma(p, r, TS.Broadcast(8.3334519073e-3f));
        p = TS.Fma(p, r, TS.Broadcast(4.1665795894e-2f));
        p = TS.Fma(p, r, TS.Broadcast(1.6666665459e-1f));
        p = TS.Fma(p, r, TS.Broadcast(5.0000001201e-1f));
        return TS.Fma(p, TS.Multiply(r, r), TS.Add(r, TS.Broadcast(1f)));
    }

    // Without AVX-512 a Vector512 is emulated anyway (the drivers take 256-bit paths there), and the
    // emulated Vector512.Exp is off by an ulp at 0; lane-wise MathF.Exp keeps the documented contract.
    private static Vector512<float> PerLane(Vector512<float> x)
    {
        Span<float> lanes = stackalloc float[Vector512<float>.Count];
        x.CopyTo(lanes);
        foreach (ref float lane in lanes) lane = MathF.Exp(lane);
        return Vector512.Create<float>(lanes);
    }
}

/// <summary>
/// GELU with the exact erf form (PyTorch nn.GELU default): y = x · ½ (1 + erf(x / √2)). erf is
/// evaluated as 1 − t·exp(−z² + P(t)) with t = 1/(1 + z/2) (Numerical Recipes' erfc, relative error &lt; 1.2e-7).
/// One generic body serves the scalar-free vector widths; the scalar form mirrors it.
/// </summary>
public readonly struct GeluOperator : IUnaryOperator
{
    private const float InvSqrt2 = 0.70710678118654752f;

    private static readonly float[] Coefficients =
        [0.17087277f, -0.82215223f, 1.48851587f, -1.13520398f, 0.27886807f, -0.18628806f, 0.09678418f, 0.37409196f, 1.00002368f, -1.26551223f];

    public static float Invoke(float x)
    {
        float z = MathF.Abs(x) * InvSqrt2;
        float t = 1f / (1f + 0.5f * z);
        float p = Coefficients[0];
        for (int i = 1; i < Coefficients.Length; i++) p = p * t + Coefficients[i];
        float erfc = t * MathF.Exp(p - z * z);
        float erf = x >= 0 ? 1f - erfc : erfc - 1f;
        return 0.5f * x * (1f + erf);
    }

    public static Vector128<float> Invoke(Vector128<float> x) => Vector<Vector128<float>, Simd128>(x);
    public static Vector256<float> Invoke(Vector256<float> x) => Vector<Vector256<float>, Simd256>(x);
    public static Vector512<float> Invoke(Vector512<float> x) => Vector<Vector512<float>, Simd512>(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TV Vector<TV, TS>(TV x) where TV : struct where TS : ISimd<TV>
    {
        var one = TS.Broadcast(1f);
        var z = TS.Multiply(TS.Abs(x), TS.Broadcast(InvSqrt2));
        var t = TS.Divide(one, TS.Fma(TS.Broadcast(0.5f), z, one));
        var p = TS.Broadcast(Coefficients[0]);
        for (int i = 1; i < Coefficients.Length; i++) p = TS.Fma(p, t, TS.Broadcast(Coefficients[i]));
        var erfc = TS.Multiply(t, TS.Exp(TS.Fma(TS.Multiply(z, z), TS.Broadcast(-1f), p)));
        var erfAbs = TS.Fma(erfc, TS.Broadcast(-1f), one);
        var erf = TS.SelectNonNegative(x, erfAbs, TS.Multiply(erfAbs, TS.Broadcast(-1f)));
        return TS.Multiply(TS.Multiply(TS.Broadcast(0.5f), x), TS.Add(one, erf));
    }
}

/// <summary>ReLU: y = max(x, 0).</summary>
public readonly struct ReluOperator : IUnaryOperator
{
    public static float Invoke(float x) => x > 0f ? x : 0f;
    public static Vector128<float> Invoke(Vector128<float> x) => Vector128.Max(x, Vector128<float>.Zero);
    public static Vector256<float> Invoke(Vector256<float> x) => Vector256.Max(x, Vector256<float>.Zero);
    public static Vector512<float> Invoke(Vector512<float> x) => Vector512.Max(x, Vector512<float>.Zero);
}

/// <summary>
/// GELU with the tanh approximation (PyTorch gelu(approximate="tanh"), SigLIP's gelu_pytorch_tanh):
/// y = ½ x (1 + tanh(u)), u = √(2/π) (x + 0.044715 x³), evaluated as x / (1 + e^(−2u)) (the same value).
/// </summary>
public readonly struct GeluTanhOperator : IUnaryOperator
{
    private const float MinusTwoSqrt2OverPi = -1.5957691216057308f;   // −2 √(2/π)
    private const float Cubic = 0.044715f;

    public static float Invoke(float x) => x / (1f + MathF.Exp(MinusTwoSqrt2OverPi * (x + Cubic * x * x * x)));
    public static Vector128<float> Invoke(Vector128<float> x) =>
        x / (Vector128<float>.One + Vector128.Exp(Vector128.Create(MinusTwoSqrt2OverPi) * (x + Vector128.Create(Cubic) * x * x * x)));
    public static Vector256<float> Invoke(Vector256<float> x) =>
        x / (Vector256<float>.One + FloatExp.Exp(Vector256.Create(MinusTwoSqrt2OverPi) * (x + Vector256.Create(Cubic) * x * x * x)));
    public static Vector512<float> Invoke(Vector512<float> x) =>
        x / (Vector512<float>.One + FloatExp.Exp(Vector512.Create(MinusTwoSqrt2OverPi) * (x + Vector512.Create(Cubic) * x * x * x)));
}
