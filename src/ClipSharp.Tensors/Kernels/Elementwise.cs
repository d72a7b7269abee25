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
    public static Vector256<float> Invoke(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(x * Vector256.Create(-1.702f)));
    public static Vector512<float> Invoke(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(x * Vector512.Create(-1.702f)));
}

/// <summary>
/// GELU with the exact erf form (PyTorch nn.GELU default): y = x · ½ (1 + erf(x / √2)). erf is
/// evaluated as 1 − t·exp(−z² + P(t)) with t = 1/(1 + z/2) (Numerical Recipes' erfc, relative error &lt; 1.2e-7).
/// </summary>
public readonly struct GeluOperator : IUnaryOperator
{
    private const float InvSqrt2 = 0.70710678118654752f;

    public static float Invoke(float x)
    {
        float z = MathF.Abs(x) * InvSqrt2;
        float t = 1f / (1f + 0.5f * z);
        float erfc = t * MathF.Exp(-z * z + Poly(t));
        float erf = x >= 0 ? 1f - erfc : erfc - 1f;
        return 0.5f * x * (1f + erf);
    }

    private static float Poly(float t) =>
        -1.26551223f + t * (1.00002368f + t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f
        + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));

    public static Vector128<float> Invoke(Vector128<float> x)
    {
        var z = Vector128.Abs(x) * Vector128.Create(InvSqrt2);
        var t = Vector128<float>.One / (Vector128<float>.One + Vector128.Create(0.5f) * z);
        var p = Vector128.Create(0.17087277f);
        p = p * t + Vector128.Create(-0.82215223f); p = p * t + Vector128.Create(1.48851587f);
        p = p * t + Vector128.Create(-1.13520398f); p = p * t + Vector128.Create(0.27886807f);
        p = p * t + Vector128.Create(-0.18628806f); p = p * t + Vector128.Create(0.09678418f);
        p = p * t + Vector128.Create(0.37409196f); p = p * t + Vector128.Create(1.00002368f);
        p = p * t + Vector128.Create(-1.26551223f);
        var erfc = t * Vector128.Exp(p - z * z);
        var erfAbs = Vector128<float>.One - erfc;
        var erf = Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<float>.Zero), erfAbs, -erfAbs);
        return Vector128.Create(0.5f) * x * (Vector128<float>.One + erf);
    }

    public static Vector256<float> Invoke(Vector256<float> x)
    {
        var z = Vector256.Abs(x) * Vector256.Create(InvSqrt2);
        var t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(0.5f) * z);
        var p = Vector256.Create(0.17087277f);
        p = p * t + Vector256.Create(-0.82215223f); p = p * t + Vector256.Create(1.48851587f);
        p = p * t + Vector256.Create(-1.13520398f); p = p * t + Vector256.Create(0.27886807f);
        p = p * t + Vector256.Create(-0.18628806f); p = p * t + Vector256.Create(0.09678418f);
        p = p * t + Vector256.Create(0.37409196f); p = p * t + Vector256.Create(1.00002368f);
        p = p * t + Vector256.Create(-1.26551223f);
        var erfc = t * Vector256.Exp(p - z * z);
        var erfAbs = Vector256<float>.One - erfc;
        var erf = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<float>.Zero), erfAbs, -erfAbs);
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + erf);
    }

    public static Vector512<float> Invoke(Vector512<float> x)
    {
        var z = Vector512.Abs(x) * Vector512.Create(InvSqrt2);
        var t = Vector512<float>.One / (Vector512<float>.One + Vector512.Create(0.5f) * z);
        var p = Vector512.Create(0.17087277f);
        p = p * t + Vector512.Create(-0.82215223f); p = p * t + Vector512.Create(1.48851587f);
        p = p * t + Vector512.Create(-1.13520398f); p = p * t + Vector512.Create(0.27886807f);
        p = p * t + Vector512.Create(-0.18628806f); p = p * t + Vector512.Create(0.09678418f);
        p = p * t + Vector512.Create(0.37409196f); p = p * t + Vector512.Create(1.00002368f);
        p = p * t + Vector512.Create(-1.26551223f);
        var erfc = t * Vector512.Exp(p - z * z);
        var erfAbs = Vector512<float>.One - erfc;
        var erf = Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<float>.Zero), erfAbs, -erfAbs);
        return Vector512.Create(0.5f) * x * (Vector512<float>.One + erf);
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
