using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
                bool direct = ctx.Isa == IsaLevel.Avx512 && headDim % 32 == 0 && headDim * ((keyTokens + 31) & ~31) <= DirectMaxFloats;
                ctx.For(batch * heads, task =>
                {
                    int b = task / heads, h = task % heads;
                    var outSpan = new Span<float>((float*)o, outLen);
                    var qSpan = new ReadOnlySpan<float>((float*)qq, qLen);
                    var kSpan = new ReadOnlySpan<float>((float*)kk, kLen);
                    var vSpan = new ReadOnlySpan<float>((float*)vv, vLen);
                    if (direct)
                    {
                        HeadAvx512((float*)o + b * queryTokens * channels + h * headDim, channels,
                            (float*)qq + b * queryTokens * qStride + h * headDim, qStride,
                            (float*)kk + b * keyTokens * kvStride + h * headDim,
                            (float*)vv + b * keyTokens * kvStride + h * headDim, kvStride,
                            queryTokens, keyTokens, headDim, scale, causal);
                        return;
                    }
                    Head(serial, outSpan.Slice(b * queryTokens * channels + h * headDim), channels,
                        qSpan.Slice(b * queryTokens * qStride + h * headDim), qStride,
                        kSpan.Slice(b * keyTokens * kvStride + h * headDim),
                        vSpan.Slice(b * keyTokens * kvStride + h * headDim), kvStride,
                        queryTokens, keyTokens, headDim, scale, causal);
                });
            }
        }
    }

    /// <summary>Largest transposed key block (D × padded Tk floats, 64 KB) <see cref="HeadAvx512"/> keeps on the stack.</summary>
    private const int DirectMaxFloats = 16384;

    /// <summary>
    /// One head with AVX-512 register tiles instead of two small GEMMs (which pack both operands per
    /// head): kᵀ is laid out once as (D, Tk rounded up to 32), then queries go in blocks of four — their
    /// scores 32 keys at a time, a softmax per row, and P·v 32 channels at a time — so eight independent
    /// FMA chains hide the FMA latency. Every sum runs over the same index in the same order as the GEMM
    /// path (one FMA per step from zero), so the results are the same.
    /// </summary>
    private static unsafe void HeadAvx512(float* output, int outStride, float* q, int qStride, float* k, float* v, int kvStride,
        int tq, int tk, int headDim, float scale, bool causal)
    {
        const int Block = 4;
        int padded = (tk + 31) & ~31;
        float* kt = stackalloc float[headDim * padded];
        float* scores = stackalloc float[Block * padded];
        for (int d = 0; d < headDim; d++)
        {
            float* row = kt + d * padded;
            for (int s = 0; s < tk; s++) row[s] = k[(nint)s * kvStride + d];
            for (int s = tk; s < padded; s++) row[s] = 0;
        }
        for (int t0 = 0; t0 < tq; t0 += Block)
        {
            // Rows past the last query repeat it; their results are not stored.
            float* q0 = q + (nint)t0 * qStride;
            float* q1 = q + (nint)Math.Min(t0 + 1, tq - 1) * qStride;
            float* q2 = q + (nint)Math.Min(t0 + 2, tq - 1) * qStride;
            float* q3 = q + (nint)Math.Min(t0 + 3, tq - 1) * qStride;
            for (int j = 0; j < padded; j += 32)
            {
                Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default,
                    c0 = default, c1 = default, d0 = default, d1 = default;
                float* column = kt + j;
                for (int d = 0; d < headDim; d++, column += padded)
                {
                    var k0 = Vector512.Load(column);
                    var k1 = Vector512.Load(column + 16);
                    var x = Vector512.Create(q0[d]); a0 = Avx512F.FusedMultiplyAdd(x, k0, a0); a1 = Avx512F.FusedMultiplyAdd(x, k1, a1);
                    x = Vector512.Create(q1[d]); b0 = Avx512F.FusedMultiplyAdd(x, k0, b0); b1 = Avx512F.FusedMultiplyAdd(x, k1, b1);
                    x = Vector512.Create(q2[d]); c0 = Avx512F.FusedMultiplyAdd(x, k0, c0); c1 = Avx512F.FusedMultiplyAdd(x, k1, c1);
                    x = Vector512.Create(q3[d]); d0 = Avx512F.FusedMultiplyAdd(x, k0, d0); d1 = Avx512F.FusedMultiplyAdd(x, k1, d1);
                }
                a0.Store(scores + j); a1.Store(scores + j + 16);
                b0.Store(scores + padded + j); b1.Store(scores + padded + j + 16);
                c0.Store(scores + 2 * padded + j); c1.Store(scores + 2 * padded + j + 16);
                d0.Store(scores + 3 * padded + j); d1.Store(scores + 3 * padded + j + 16);
            }
            int rows = Math.Min(Block, tq - t0);
            for (int r = 0; r < Block; r++)
            {
                var row = new Span<float>(scores + r * padded, tk);
                if (r >= rows) { row.Clear(); continue; }
                TensorPrimitives.Multiply(row, scale, row);
                int t = t0 + r;
                if (causal && t + 1 < tk) row.Slice(t + 1).Fill(float.NegativeInfinity);
                Softmax.Row(row);
            }
            // Masked keys have weight exactly 0, so a causal block stops after its last row's position.
            int keys = causal ? Math.Min(t0 + rows, tk) : tk;
            for (int e = 0; e < headDim; e += 32)
            {
                Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default,
                    c0 = default, c1 = default, d0 = default, d1 = default;
                float* values = v + e;
                for (int s = 0; s < keys; s++, values += kvStride)
                {
                    var v0 = Vector512.Load(values);
                    var v1 = Vector512.Load(values + 16);
                    var x = Vector512.Create(scores[s]); a0 = Avx512F.FusedMultiplyAdd(x, v0, a0); a1 = Avx512F.FusedMultiplyAdd(x, v1, a1);
                    x = Vector512.Create(scores[padded + s]); b0 = Avx512F.FusedMultiplyAdd(x, v0, b0); b1 = Avx512F.FusedMultiplyAdd(x, v1, b1);
                    x = Vector512.Create(scores[2 * padded + s]); c0 = Avx512F.FusedMultiplyAdd(x, v0, c0); c1 = Avx512F.FusedMultiplyAdd(x, v1, c1);
                    x = Vector512.Create(scores[3 * padded + s]); d0 = Avx512F.FusedMultiplyAdd(x, v0, d0); d1 = Avx512F.FusedMultiplyAdd(x, v1, d1);
                }
                float* o = output + (nint)t0 * outStride + e;
                a0.Store(o); a1.Store(o + 16);
                if (rows > 1) { b0.Store(o + outStride); b1.Store(o + outStride + 16); }
                if (rows > 2) { c0.Store(o + 2 * outStride); c1.Store(o + 2 * outStride + 16); }
                if (rows > 3) { d0.Store(o + 3 * outStride); d1.Store(o + 3 * outStride + 16); }
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
