namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// Channels-last (NHWC) helpers: an activation (B, H, W, C) is a (B·H·W, C) matrix, so a 1×1
/// convolution is a linear layer over channels and a k×k one is a linear layer over im2col rows.
/// </summary>
public static partial class Convolution
{
    /// <summary>
    /// rows[((b·P + p)·Q + q), (u·KW + v)·C + i] = x[b, p·stride + u − pad, q·stride + v − pad, i] (0 outside):
    /// each row holds one output position's receptive field in (kernel row, kernel column, channel) order.
    /// </summary>
    public static unsafe void Im2ColNhwc(ComputeContext ctx, Span<float> rows, ReadOnlySpan<float> x, int batch, int height, int width,
        int channels, int kernelH, int kernelW, int stride, int padding)
    {
        int outH = OutputSize(height, kernelH, stride, padding), outW = OutputSize(width, kernelW, stride, padding);
        int depth = kernelH * kernelW * channels;
        if (rows.Length < (long)batch * outH * outW * depth) throw new ArgumentException("im2col buffer too small");
        if (x.Length < (long)batch * height * width * channels) throw new ArgumentException("input smaller than (B, H, W, C)");
        fixed (float* pr = rows, px = x)
        {
            nint dst = (nint)pr, src = (nint)px;
            ctx.For(batch * outH, job =>
            {
                int b = job / outH, p = job % outH;
                for (int q = 0; q < outW; q++)
                {
                    float* row = (float*)dst + ((long)job * outW + q) * depth;
                    for (int u = 0; u < kernelH; u++)
                    {
                        int iy = p * stride + u - padding;
                        for (int v = 0; v < kernelW; v++)
                        {
                            int ix = q * stride + v - padding;
                            var to = new Span<float>(row + (u * kernelW + v) * channels, channels);
                            if ((uint)iy >= (uint)height || (uint)ix >= (uint)width) to.Clear();
                            else new ReadOnlySpan<float>((float*)src + (((long)b * height + iy) * width + ix) * channels, channels).CopyTo(to);
                        }
                    }
                }
            });
        }
    }

    /// <summary>
    /// nn.AvgPool2d(k) on NHWC data: y[b, p, q, c] = (1/k²) Σ_{u, v &lt; k} x[b, p·k + u, q·k + v, c] with
    /// P = H / k, Q = W / k (floor); the window is summed in the same (u, v) order as <see cref="AvgPool2d"/>.
    /// </summary>
    public static unsafe void AvgPool2dNhwc(ComputeContext ctx, Span<float> y, ReadOnlySpan<float> x, int batch, int height, int width, int channels, int k)
    {
        int outH = height / k, outW = width / k;
        float inverse = 1f / (k * k);
        if (y.Length < (long)batch * outH * outW * channels || x.Length < (long)batch * height * width * channels)
            throw new ArgumentException("average pool buffers smaller than their shapes");
        fixed (float* py = y, px = x)
        {
            nint dst = (nint)py, src = (nint)px;
            ctx.For(batch * outH, job =>
            {
                int b = job / outH, p = job % outH;
                for (int q = 0; q < outW; q++)
                {
                    var sum = new Span<float>((float*)dst + ((long)job * outW + q) * channels, channels);
                    sum.Clear();
                    for (int u = 0; u < k; u++)
                        for (int v = 0; v < k; v++)
                        {
                            var pixel = new ReadOnlySpan<float>((float*)src + (((long)b * height + p * k + u) * width + q * k + v) * channels, channels);
                            System.Numerics.Tensors.TensorPrimitives.Add(sum, pixel, sum);
                        }
                    System.Numerics.Tensors.TensorPrimitives.Multiply(sum, inverse, sum);
                }
            });
        }
    }

    /// <summary>(B, C, H, W) → (B, H, W, C), or back with <paramref name="toChannelsLast"/> false.</summary>
    public static void Transpose(Span<float> y, ReadOnlySpan<float> x, int batch, int channels, int spatial, bool toChannelsLast)
    {
        for (int b = 0; b < batch; b++)
        {
            var from = x.Slice(b * channels * spatial, channels * spatial);
            var to = y.Slice(b * channels * spatial, channels * spatial);
            for (int c = 0; c < channels; c++)
                for (int s = 0; s < spatial; s++)
                {
                    if (toChannelsLast) to[s * channels + c] = from[c * spatial + s];
                    else to[c * spatial + s] = from[s * channels + c];
                }
        }
    }
}
