namespace ClipSharp.Tensors.Kernels;

/// <summary>Parameter update rules, applied in place.</summary>
public static class Optimizer
{
    /// <summary>
    /// One AdamW step (torch.optim.AdamW, amsgrad off), in this order and in float as PyTorch does:
    /// p ← p·(1 − lr·wd);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
    /// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps), with t = <paramref name="step"/> ≥ 1.
    /// Overwrites param, m and v.
    /// </summary>
    public static void AdamW(Span<float> param, Span<float> m, Span<float> v, ReadOnlySpan<float> grad,
        double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), step, "AdamW steps count from 1");
        if (m.Length != param.Length || v.Length != param.Length || grad.Length != param.Length)
            throw new ArgumentException($"AdamW: parameter has {param.Length} values, m {m.Length}, v {v.Length}, grad {grad.Length}");
        float decay = (float)(1 - lr * weightDecay);
        float b1 = (float)beta1, oneMinusB1 = (float)(1 - beta1), b2 = (float)beta2, oneMinusB2 = (float)(1 - beta2);
        double biasCorrection1 = 1 - Math.Pow(beta1, step), biasCorrection2 = 1 - Math.Pow(beta2, step);
        float stepSize = (float)(lr / biasCorrection1), bc2Sqrt = (float)Math.Sqrt(biasCorrection2), epsF = (float)eps;
        for (int i = 0; i < param.Length; i++)
        {
            float g = grad[i];
            if (weightDecay != 0) param[i] *= decay;
            m[i] = m[i] * b1 + oneMinusB1 * g;
            v[i] = v[i] * b2 + oneMinusB2 * g * g;
            float denom = MathF.Sqrt(v[i]) / bc2Sqrt + epsF;
            param[i] += -stepSize * (m[i] / denom);
        }
    }
}
