using System.Buffers;
using System.Numerics.Tensors;

namespace ClipSharp.Tensors.Kernels;

// Training halves of multi-head attention. Letters as in Attention.cs: B batch, Tq/Tk query/key
// tokens, H heads, D head dim, C = H·D. q/k/v (and dq/dk/dv) use the strided layout of MultiHead.
public static partial class Attention
{
    /// <summary>
    /// <see cref="MultiHead"/> that also keeps the attention probabilities: overwrites output (B, Tq, C)
    /// and probs (B, H, Tq, Tk) with P[b, h, t, s] = softmax_s(q·k/√D + mask). The probabilities are
    /// what <see cref="MultiHeadBackward"/> needs.
    /// </summary>
    public static void MultiHeadTraining(ComputeContext ctx, Span<float> output, Span<float> probs,
        ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int kvStride,
        int batch, int queryTokens, int keyTokens, int heads, int headDim, bool causal)
    {
        int channels = heads * headDim, tq = queryTokens, tk = keyTokens;
        if (causal && tq != tk) throw new ArgumentException("causal attention needs as many queries as keys");
        if (probs.Length < batch * heads * tq * tk) throw new ArgumentException("attention probability buffer too small");
        float scale = 1f / MathF.Sqrt(headDim);
        unsafe
        {
            fixed (float* po = output, pp = probs, pq = q, pk = k, pv = v)
            {
                var (o, pr, qq, kk, vv) = ((nint)po, (nint)pp, (nint)pq, (nint)pk, (nint)pv);
                int outLen = output.Length, pLen = probs.Length, qLen = q.Length, kLen = k.Length, vLen = v.Length;
                var serial = ctx.Serial;
                ctx.For(batch * heads, task =>
                {
                    int b = task / heads, h = task % heads;
                    var scores = new Span<float>((float*)pr, pLen).Slice(task * tq * tk, tq * tk);
                    var qh = new ReadOnlySpan<float>((float*)qq, qLen).Slice(b * tq * qStride + h * headDim);
                    var kh = new ReadOnlySpan<float>((float*)kk, kLen).Slice(b * tk * kvStride + h * headDim);
                    var vh = new ReadOnlySpan<float>((float*)vv, vLen).Slice(b * tk * kvStride + h * headDim);
                    var oh = new Span<float>((float*)o, outLen).Slice(b * tq * channels + h * headDim);
                    // scores: (Tq, Tk) = q_h · k_hᵀ / √D, masked, softmaxed per row
                    Gemm.Multiply(serial, scores, tk, qh, qStride, false, kh, kvStride, true, tq, tk, headDim);
                    for (int t = 0; t < tq; t++)
                    {
                        var row = scores.Slice(t * tk, tk);
                        TensorPrimitives.Multiply(row, scale, row);
                        if (causal && t + 1 < tk) row.Slice(t + 1).Fill(float.NegativeInfinity);
                        Softmax.Row(row);
                    }
                    // out_h: (Tq, D) = P · v_h
                    Gemm.Multiply(serial, oh, channels, scores, tk, false, vh, kvStride, false, tq, headDim, tk);
                });
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="MultiHeadTraining"/>, ACCUMULATING into dq, dk, dv (same strided layouts
    /// as q, k, v; they may be slices of one packed dqkv buffer). Per (b, h), with dO_h the head's
    /// slice of dout (B, Tq, C):
    /// dP = dO_h·V_hᵀ; dS = P ⊙ (dP − rowsum(dP ⊙ P)) / √D;
    /// dV_h += Pᵀ·dO_h; dQ_h += dS·K_h; dK_h += dSᵀ·Q_h.
    /// Masked positions have P = 0 and so receive no gradient.
    /// </summary>
    public static void MultiHeadBackward(ComputeContext ctx, Span<float> dq, Span<float> dk, Span<float> dv,
        ReadOnlySpan<float> dout, ReadOnlySpan<float> probs,
        ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int kvStride,
        int batch, int queryTokens, int keyTokens, int heads, int headDim)
    {
        int channels = heads * headDim, tq = queryTokens, tk = keyTokens;
        float scale = 1f / MathF.Sqrt(headDim);
        unsafe
        {
            fixed (float* pdq = dq, pdk = dk, pdv = dv, pdo = dout, pp = probs, pq = q, pk = k, pv = v)
            {
                var ptr = ((nint)pdq, (nint)pdk, (nint)pdv, (nint)pdo, (nint)pp, (nint)pq, (nint)pk, (nint)pv);
                var len = (dq.Length, dk.Length, dv.Length, dout.Length, probs.Length, q.Length, k.Length, v.Length);
                var serial = ctx.Serial;
                ctx.For(batch * heads, task =>
                {
                    int b = task / heads, h = task % heads;
                    int qAt = b * tq * qStride + h * headDim, kvAt = b * tk * kvStride + h * headDim;
                    var p = new ReadOnlySpan<float>((float*)ptr.Item5, len.Item5).Slice(task * tq * tk, tq * tk);
                    var dO = new ReadOnlySpan<float>((float*)ptr.Item4, len.Item4).Slice(b * tq * channels + h * headDim);
                    var qh = new ReadOnlySpan<float>((float*)ptr.Item6, len.Item6).Slice(qAt);
                    var kh = new ReadOnlySpan<float>((float*)ptr.Item7, len.Item7).Slice(kvAt);
                    var vh = new ReadOnlySpan<float>((float*)ptr.Item8, len.Item8).Slice(kvAt);
                    var dqh = new Span<float>((float*)ptr.Item1, len.Item1).Slice(qAt);
                    var dkh = new Span<float>((float*)ptr.Item2, len.Item2).Slice(kvAt);
                    var dvh = new Span<float>((float*)ptr.Item3, len.Item3).Slice(kvAt);
                    var rented = ArrayPool<float>.Shared.Rent(tq * tk);
                    var ds = rented.AsSpan(0, tq * tk);
                    // dP: (Tq, Tk) = dO_h · V_hᵀ
                    Gemm.Multiply(serial, ds, tk, dO, channels, false, vh, kvStride, true, tq, tk, headDim);
                    for (int t = 0; t < tq; t++)
                    {
                        var dRow = ds.Slice(t * tk, tk);
                        var pRow = p.Slice(t * tk, tk);
                        float dot = TensorPrimitives.Dot(dRow, pRow);
                        for (int s = 0; s < tk; s++) dRow[s] = pRow[s] * (dRow[s] - dot) * scale;
                    }
                    Gemm.Multiply(serial, dvh, kvStride, p, tk, true, dO, channels, false, tk, headDim, tq, accumulate: true);
                    Gemm.Multiply(serial, dqh, qStride, ds, tk, false, kh, kvStride, false, tq, headDim, tk, accumulate: true);
                    Gemm.Multiply(serial, dkh, kvStride, ds, tk, true, qh, qStride, false, tk, headDim, tq, accumulate: true);
                    ArrayPool<float>.Shared.Return(rented);
                });
            }
        }
    }
}
