using System.Buffers;
using System.Numerics.Tensors;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Multi-head scaled dot-product attention. Letters: B batch, Tq query tokens, Tk key tokens,
/// H heads, D head dim, C = H·D channels.
/// </summary>
public static partial class Attention
{
    /// <summary>
    /// out[b, t, h·D + d] = Σ_s P[b, h, t, s] · v[b, s, h·D + d], where
    /// P[b, h, t, :] = softmax_s((q[b, t, h]·k[b, s, h]) / √D + mask[t, s]) and mask[t, s] = −∞ for
    /// s &gt; t when <paramref name="causal"/>, else 0. Overwrites out (B, Tq, C).
    /// q[b, t, c] = q[(b·Tq + t)·qStride + c]; k and v likewise with kvStride and Tk, so a packed
    /// (B, T, 3C) qkv buffer is passed as q = qkv, k = qkv[C..], v = qkv[2C..], strides 3C.
    /// Each (b, h) pair is computed by one thread, so results do not depend on the thread count.
    /// </summary>
    public static void MultiHead(ComputeContext ctx, Span<float> output,
        ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int kvStride,
        int batch, int queryTokens, int keyTokens, int heads, int headDim, bool causal)
    {
        int channels = heads * headDim;
        if (output.Length < batch * queryTokens * channels) throw new ArgumentException("attention output buffer too small");
        if (causal && queryTokens != keyTokens) throw new ArgumentException("causal attention needs as many queries as keys");
        float scale = 1f / MathF.Sqrt(headDim);
        unsafe
        {
            fixed (float* po = output, pq = q, pk = k, pv = v)
            {
                var (o, qq, kk, vv) = ((nint)po, (nint)pq, (nint)pk, (nint)pv);
                int outLen = output.Length, qLen = q.Length, kLen = k.Length, vLen = v.Length;
                var serial = ctx.Serial;
                ctx.For(batch * heads, task =>
                {
                    int b = task / heads, h = task % heads;
                    var outSpan = new Span<float>((float*)o, outLen);
                    var qSpan = new ReadOnlySpan<float>((float*)qq, qLen);
                    var kSpan = new ReadOnlySpan<float>((float*)kk, kLen);
                    var vSpan = new ReadOnlySpan<float>((float*)vv, vLen);
                    Head(serial, outSpan.Slice(b * queryTokens * channels + h * headDim), channels,
                        qSpan.Slice(b * queryTokens * qStride + h * headDim), qStride,
                        kSpan.Slice(b * keyTokens * kvStride + h * headDim),
                        vSpan.Slice(b * keyTokens * kvStride + h * headDim), kvStride,
                        queryTokens, keyTokens, headDim, scale, causal);
                });
            }
        }
    }

    private static void Head(ComputeContext serial, Span<float> output, int outStride,
        ReadOnlySpan<float> q, int qStride, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int kvStride,
        int tq, int tk, int headDim, float scale, bool causal)
    {
        var rented = ArrayPool<float>.Shared.Rent(tq * tk);
        var scores = rented.AsSpan(0, tq * tk);
        // scores: (Tq, Tk) = q_h · k_hᵀ
        Gemm.Multiply(serial, scores, tk, q, qStride, false, k, kvStride, true, tq, tk, headDim);
        for (int t = 0; t < tq; t++)
        {
            var row = scores.Slice(t * tk, tk);
            TensorPrimitives.Multiply(row, scale, row);
            if (causal && t + 1 < tk) row.Slice(t + 1).Fill(float.NegativeInfinity);
            Softmax.Row(row);
        }
        // out_h: (Tq, D) = P · v_h
        Gemm.Multiply(serial, output, outStride, scores, tk, false, v, kvStride, false, tq, headDim, tk);
        ArrayPool<float>.Shared.Return(rented);
    }
}
