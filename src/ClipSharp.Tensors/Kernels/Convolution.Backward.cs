using System.Buffers;

namespace ClipSharp.Tensors.Kernels;

// Backward halves of convolution and pooling (NCHW). Letters as in Convolution.cs. All kernels
// ACCUMULATE into d-prefixed buffers; an empty span is skipped.
public static partial class Convolution
{
    /// <summary>
    /// Backward of <see cref="Conv2d"/> (bias-free), per image b with cols = im2col(x_b) (I·KH·KW, P·Q):
    /// dweight (O, I·KH·KW) += dy_b · colsᵀ;  dx_b += col2im(weightᵀ · dy_b).
    /// 1×1, stride-1, unpadded kernels skip the im2col/col2im copies.
    /// </summary>
    public static void Conv2dBackward(ComputeContext ctx, Span<float> dx, Span<float> dweight,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> weight,
        int batch, int inChannels, int height, int width, int outChannels, int kernelH, int kernelW, int stride, int padding)
    {
        int p = OutputSize(height, kernelH, stride, padding), qn = OutputSize(width, kernelW, stride, padding);
        int spatial = p * qn, depth = inChannels * kernelH * kernelW, imageSize = inChannels * height * width;
        bool direct = kernelH == 1 && kernelW == 1 && stride == 1 && padding == 0;
        float[]? cols = direct ? null : ArrayPool<float>.Shared.Rent(depth * spatial);
        for (int b = 0; b < batch; b++)
        {
            var image = x.Slice(b * imageSize, imageSize);
            var dyb = dy.Slice(b * outChannels * spatial, outChannels * spatial);
            if (!dweight.IsEmpty)
            {
                ReadOnlySpan<float> colSpan = image;
                if (!direct)
                {
                    Im2Col(cols.AsSpan(0, depth * spatial), image, inChannels, height, width, kernelH, kernelW, stride, padding, p, qn);
                    colSpan = cols.AsSpan(0, depth * spatial);
                }
                Gemm.Multiply(ctx, dweight, depth, dyb, spatial, false, colSpan, spatial, true, outChannels, depth, spatial, accumulate: true);
            }
            if (dx.IsEmpty) continue;
            var dxb = dx.Slice(b * imageSize, imageSize);
            if (direct)
            {
                Gemm.Multiply(ctx, dxb, spatial, weight, depth, true, dyb, spatial, false, depth, spatial, outChannels, accumulate: true);
                continue;
            }
            var dcols = cols.AsSpan(0, depth * spatial);
            Gemm.Multiply(ctx, dcols, spatial, weight, depth, true, dyb, spatial, false, depth, spatial, outChannels);
            Col2Im(dxb, dcols, inChannels, height, width, kernelH, kernelW, stride, padding, p, qn);
        }
        if (cols != null) ArrayPool<float>.Shared.Return(cols);
    }

    /// <summary>
    /// Adjoint of <see cref="Im2Col"/>: image[i, p·stride + u − pad, q·stride + v − pad] +=
    /// cols[(i·KH + u)·KW + v, p·Q + q] for positions inside the image (accumulates).
    /// </summary>
    public static void Col2Im(Span<float> image, ReadOnlySpan<float> cols, int channels, int height, int width,
        int kernelH, int kernelW, int stride, int padding, int outH, int outW)
    {
        int spatial = outH * outW;
        for (int i = 0; i < channels; i++)
        for (int u = 0; u < kernelH; u++)
        for (int v = 0; v < kernelW; v++)
        {
            var src = cols.Slice(((i * kernelH + u) * kernelW + v) * spatial, spatial);
            for (int pp = 0; pp < outH; pp++)
            {
                int row = pp * stride + u - padding;
                if ((uint)row >= (uint)height) continue;
                var dst = image.Slice((i * height + row) * width, width);
                for (int qq = 0; qq < outW; qq++)
                {
                    int col = qq * stride + v - padding;
                    if ((uint)col < (uint)width) dst[col] += src[pp * outW + qq];
                }
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="AvgPool2d"/>: dx[b, c, p·k + u, q·k + v] += dy[b, c, p, q] / k² for u, v &lt; k
    /// (rows/columns beyond the last full window get nothing).
    /// </summary>
    public static void AvgPool2dBackward(Span<float> dx, ReadOnlySpan<float> dy, int batch, int channels, int height, int width, int k)
    {
        int p = height / k, qn = width / k;
        float inv = 1f / (k * k);
        for (int plane = 0; plane < batch * channels; plane++)
        {
            var dst = dx.Slice(plane * height * width, height * width);
            var src = dy.Slice(plane * p * qn, p * qn);
            for (int pp = 0; pp < p; pp++)
            for (int qq = 0; qq < qn; qq++)
            {
                float g = src[pp * qn + qq] * inv;
                for (int u = 0; u < k; u++)
                for (int v = 0; v < k; v++)
                    dst[(pp * k + u) * width + qq * k + v] += g;
            }
        }
    }
}
