using System.Buffers;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// 2-D convolution and pooling on NCHW data. Letters: B batch, I in-channels, O out-channels,
/// H×W input size, P×Q output size, KH×KW kernel.
/// </summary>
public static partial class Convolution
{
    /// <summary>Output size of a convolution or pooling window along one axis.</summary>
    public static int OutputSize(int input, int kernel, int stride, int padding) => (input + 2 * padding - kernel) / stride + 1;

    /// <summary>
    /// y[b, o, p, q] = bias[o] + Σ_{i, u, v} weight[o, i, u, v] · x[b, i, p·stride + u − pad, q·stride + v − pad]
    /// (zero outside the image), overwriting y (B, O, P, Q). bias may be empty. Lowered to one GEMM per
    /// image: (O, I·KH·KW) × (I·KH·KW, P·Q), skipping the im2col copy for 1×1, stride-1, unpadded kernels.
    /// </summary>
    public static void Conv2d(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, int batch, int inChannels, int height, int width,
        int outChannels, int kernelH, int kernelW, int stride, int padding)
    {
        int p = OutputSize(height, kernelH, stride, padding), qn = OutputSize(width, kernelW, stride, padding);
        int spatial = p * qn, depth = inChannels * kernelH * kernelW;
        if (weight.Length != outChannels * depth)
            throw new ArgumentException($"conv weight has {weight.Length} values, expected {outChannels}×{inChannels}×{kernelH}×{kernelW}");
        bool direct = kernelH == 1 && kernelW == 1 && stride == 1 && padding == 0;
        float[]? cols = direct ? null : ArrayPool<float>.Shared.Rent(depth * spatial);
        for (int b = 0; b < batch; b++)
        {
            var image = x.Slice(b * inChannels * height * width, inChannels * height * width);
            ReadOnlySpan<float> colSpan = image;
            if (!direct)
            {
                Im2Col(cols.AsSpan(0, depth * spatial), image, inChannels, height, width, kernelH, kernelW, stride, padding, p, qn);
                colSpan = cols.AsSpan(0, depth * spatial);
            }
            var yb = y.Slice(b * outChannels * spatial, outChannels * spatial);
            Gemm.Multiply(ctx, yb, spatial, weight, depth, false, colSpan, spatial, false, outChannels, spatial, depth);
            if (!bias.IsEmpty)
                for (int o = 0; o < outChannels; o++)
                    System.Numerics.Tensors.TensorPrimitives.Add(yb.Slice(o * spatial, spatial), bias[o], yb.Slice(o * spatial, spatial));
        }
        if (cols != null) ArrayPool<float>.Shared.Return(cols);
    }

    /// <summary>cols[(i·KH + u)·KW + v, p·Q + q] = x[i, p·stride + u − pad, q·stride + v − pad] (0 outside).</summary>
    public static void Im2Col(Span<float> cols, ReadOnlySpan<float> image, int channels, int height, int width,
        int kernelH, int kernelW, int stride, int padding, int outH, int outW)
    {
        int spatial = outH * outW;
        for (int i = 0; i < channels; i++)
        for (int u = 0; u < kernelH; u++)
        for (int v = 0; v < kernelW; v++)
        {
            var dst = cols.Slice(((i * kernelH + u) * kernelW + v) * spatial, spatial);
            for (int pp = 0; pp < outH; pp++)
            {
                int row = pp * stride + u - padding;
                var dstRow = dst.Slice(pp * outW, outW);
                if ((uint)row >= (uint)height) { dstRow.Clear(); continue; }
                var src = image.Slice((i * height + row) * width, width);
                for (int qq = 0; qq < outW; qq++)
                {
                    int col = qq * stride + v - padding;
                    dstRow[qq] = (uint)col < (uint)width ? src[col] : 0f;
                }
            }
        }
    }

    /// <summary>
    /// Average pooling with a k×k window and stride k (nn.AvgPool2d(k)): y[b, c, p, q] =
    /// (1/k²) Σ_{u, v &lt; k} x[b, c, p·k + u, q·k + v], P = H / k, Q = W / k (floor). Overwrites y.
    /// </summary>
    public static void AvgPool2d(Span<float> y, ReadOnlySpan<float> x, int batch, int channels, int height, int width, int k)
    {
        int p = height / k, qn = width / k;
        float inv = 1f / (k * k);
        for (int plane = 0; plane < batch * channels; plane++)
        {
            var src = x.Slice(plane * height * width, height * width);
            var dst = y.Slice(plane * p * qn, p * qn);
            for (int pp = 0; pp < p; pp++)
            for (int qq = 0; qq < qn; qq++)
            {
                float sum = 0f;
                for (int u = 0; u < k; u++)
                for (int v = 0; v < k; v++)
                    sum += src[(pp * k + u) * width + qq * k + v];
                dst[pp * qn + qq] = sum * inv;
            }
        }
    }
}
