using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // The scalar loop's operations lane by lane, in the same order and without fused multiply-adds,
            // so the result is bit-identical.
            var vDecay = Vector256.Create(decay);
            var vB1 = Vector256.Create(b1);
            var vOneMinusB1 = Vector256.Create(oneMinusB1);
            var vB2 = Vector256.Create(b2);
            var vOneMinusB2 = Vector256.Create(oneMinusB2);
            var vBc2 = Vector256.Create(bc2Sqrt);
            var vEps = Vector256.Create(epsF);
            var vStep = Vector256.Create(-stepSize);
            ref float pr = ref MemoryMarshal.GetReference(param);
            ref float mr = ref MemoryMarshal.GetReference(m);
            ref float vr = ref MemoryMarshal.GetReference(v);
            ref float gr = ref MemoryMarshal.GetReference(grad);
            for (; i + 8 <= param.Length; i += 8)
            {
                var g = Vector256.LoadUnsafe(ref gr, (nuint)i);
                var pv = Vector256.LoadUnsafe(ref pr, (nuint)i);
                if (weightDecay != 0) pv *= vDecay;
                var mv = Vector256.LoadUnsafe(ref mr, (nuint)i) * vB1 + vOneMinusB1 * g;
                var vv = Vector256.LoadUnsafe(ref vr, (nuint)i) * vB2 + vOneMinusB2 * g * g;
                var denom = Vector256.Sqrt(vv) / vBc2 + vEps;
                pv += vStep * (mv / denom);
                mv.StoreUnsafe(ref mr, (nuint)i);
                vv.StoreUnsafe(ref vr, (nuint)i);
                pv.StoreUnsafe(ref pr, (nuint)i);
            }
        }
        for (; i < param.Length; i++)
        {
            float g = grad[i];
            if (weightDecay != 0) param[i] *= decay;
            m[i] = m[i] * b1 + oneMinusB1 * g;
            v[i] = v[i] * b2 + oneMinusB2 * g * g;
            float denom = MathF.Sqrt(v[i]) / bc2Sqrt + epsF;
            param[i] += -stepSize * (m[i] / denom);
        }
    }

    /// <summary>
    /// The same AdamW step for a (rows, width) table of which only the rows flagged in
    /// <paramref name="active"/> can have a gradient or non-zero moments: those get the full update, the
    /// others only p ← p·(1 − lr·wd) — exactly what the full update does to a row whose gradient and
    /// moments are zero (m and v stay 0, and the Adam term is −0). Bit-identical to <see cref="AdamW"/>
    /// over the whole table.
    /// </summary>
    public static void AdamWRows(Span<float> param, Span<float> m, Span<float> v, ReadOnlySpan<float> grad, int width,
        ReadOnlySpan<bool> active, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
    {
        int rows = param.Length / width;
        if (rows * width != param.Length || active.Length != rows)
            throw new ArgumentException($"AdamWRows: {param.Length} values are not {active.Length} rows of {width}");
        float decay = (float)(1 - lr * weightDecay);
        for (int r = 0; r < rows;)
        {
            int start = r;
            bool on = active[r];
            while (r < rows && active[r] == on) r++;
            int at = start * width, count = (r - start) * width;
            if (on) AdamW(param.Slice(at, count), m.Slice(at, count), v.Slice(at, count), grad.Slice(at, count), lr, beta1, beta2, eps, weightDecay, step);
            else if (weightDecay != 0) System.Numerics.Tensors.TensorPrimitives.Multiply(param.Slice(at, count), decay, param.Slice(at, count));
        }
    }
}
