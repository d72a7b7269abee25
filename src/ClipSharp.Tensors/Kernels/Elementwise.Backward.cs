using System.Runtime.CompilerServices;

namespace ClipSharp.Tensors.Kernels;

/// <summary>The derivative f′(x) of a unary operator, for its backward.</summary>
public interface IDerivativeOperator
{
    static abstract float Invoke(float x);
}

public static partial class Elementwise
{
    /// <summary>
    /// Backward driver for y = f(x): dx[i] += dy[i] · TDerivative(x[i]) for i &lt; x.Length (accumulates).
    /// Scalar loop: backward passes are dominated by the GEMMs, not by activations.
    /// </summary>
    public static void Backward<TDerivative>(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
        where TDerivative : IDerivativeOperator
    {
        if (dx.Length < x.Length || dy.Length < x.Length) throw new ArgumentException("backward buffers shorter than the input");
        for (int i = 0; i < x.Length; i++) dx[i] += dy[i] * TDerivative.Invoke(x[i]);
    }
}

/// <summary>d/dx [x·σ(1.702x)] = σ(1.702x)·(1 + 1.702x·(1 − σ(1.702x))).</summary>
public readonly struct QuickGeluDerivative : IDerivativeOperator
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Invoke(float x)
    {
        double s = 1.0 / (1.0 + Math.Exp(-1.702 * x));
        return (float)(s * (1.0 + 1.702 * x * (1.0 - s)));
    }
}

/// <summary>
/// d/dx [x·Φ(x)] = Φ(x) + x·φ(x), with Φ(x) = ½(1 + erf(x/√2)) from the same erfc approximation as
/// <see cref="GeluOperator"/> and φ(x) = exp(−x²/2)/√(2π).
/// </summary>
public readonly struct GeluDerivative : IDerivativeOperator
{
    public static float Invoke(float x)
    {
        double z = Math.Abs(x) / Math.Sqrt(2.0);
        double t = 1.0 / (1.0 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        double erf = x >= 0 ? 1.0 - erfc : erfc - 1.0;
        double cdf = 0.5 * (1.0 + erf), pdf = Math.Exp(-0.5 * (double)x * x) / Math.Sqrt(2 * Math.PI);
        return (float)(cdf + x * pdf);
    }
}

/// <summary>
/// d/dx of GELU's tanh approximation y = ½ x (1 + tanh u), u = √(2/π)(x + 0.044715 x³) (see
/// <see cref="GeluTanhOperator"/>): ½(1 + tanh u) + ½ x (1 − tanh² u) √(2/π)(1 + 3·0.044715 x²), in double.
/// </summary>
public readonly struct GeluTanhDerivative : IDerivativeOperator
{
    public static float Invoke(float x)
    {
        const double a = 0.7978845608028654, b = 0.044715;   // √(2/π)
        double xd = x, t = Math.Tanh(a * (xd + b * xd * xd * xd));
        return (float)(0.5 * (1 + t) + 0.5 * xd * (1 - t * t) * a * (1 + 3 * b * xd * xd));
    }
}

/// <summary>d/dx max(x, 0) = 1 for x &gt; 0, else 0 (PyTorch's choice at 0).</summary>
public readonly struct ReluDerivative : IDerivativeOperator
{
    public static float Invoke(float x) => x > 0f ? 1f : 0f;
}
