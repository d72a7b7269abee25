namespace ClipSharp.Models;

/// <summary>
/// Multiply-add counts of a forward pass, counted as 2 FLOPs each (matrix products and
/// convolutions only; norms and activations are a rounding error next to them).
/// </summary>
public static class FlopCounter
{
    /// <summary>FLOPs of one transformer block over T tokens of width C with MLP width F.</summary>
    public static double Block(int tokens, int width, int mlpWidth, int queryTokens = -1)
    {
        double t = tokens, c = width;
        double q = queryTokens < 0 ? t : queryTokens;
        return 2 * (t * c * 3 * c       // qkv projection
                  + 2 * q * t * c       // scores and weighted sum
                  + t * c * c           // out projection
                  + 2 * t * c * mlpWidth);
    }

    /// <summary>
    /// FLOPs of the last ViT block as the encoder computes it: keys and values for all T tokens, the rest
    /// (query, attention, out projection, MLP) for the class token alone.
    /// </summary>
    public static double ClassTokenBlock(int tokens, int width, int mlpWidth)
    {
        double t = tokens, c = width;
        return 2 * (t * c * 3 * c + 2 * t * c + c * c + 2 * c * mlpWidth);
    }

    /// <summary>FLOPs to encode one image, as computed (a ViT's last block runs for the class token only).</summary>
    public static double Image(ClipConfig config) => config.Vision switch
    {
        VitConfig v => 2.0 * v.Grid * v.Grid * v.Width * 3 * v.PatchSize * v.PatchSize
                       + (v.Layers - 1) * Block(v.Tokens, v.Width, v.MlpWidth)
                       + ClassTokenBlock(v.Tokens, v.Width, v.MlpWidth)
                       + 2.0 * v.Width * config.EmbedDim,
        ResNetConfig r => ResNet(r, config.EmbedDim),
        _ => throw new ArgumentOutOfRangeException(nameof(config)),
    };

    /// <summary>FLOPs to encode one text computed over <paramref name="tokens"/> positions.</summary>
    public static double Text(ClipConfig config, int tokens) =>
        config.Text.Layers * Block(tokens, config.Text.Width, config.Text.MlpWidth, tokens) + 2.0 * config.Text.Width * config.EmbedDim;

    private static double ResNet(ResNetConfig r, int embedDim)
    {
        double flops = 0;
        double Conv(int inC, int outC, int k, int size) => 2.0 * inC * outC * k * k * size * size;
        int s = r.ImageSize / 2, w = r.Width;
        flops += Conv(3, w / 2, 3, s) + Conv(w / 2, w / 2, 3, s) + Conv(w / 2, w, 3, s);
        s /= 2;
        int inplanes = w;
        for (int stage = 0; stage < 4; stage++)
        {
            int planes = w << stage;
            for (int i = 0; i < r.Layers[stage]; i++)
            {
                int stride = i == 0 && stage > 0 ? 2 : 1;
                flops += Conv(inplanes, planes, 1, s) + Conv(planes, planes, 3, s);
                int outSize = s / stride;
                flops += Conv(planes, planes * 4, 1, outSize);
                if (stride > 1 || inplanes != planes * 4) flops += Conv(inplanes, planes * 4, 1, outSize);
                inplanes = planes * 4;
                s = outSize;
            }
        }
        int t = r.PoolGrid * r.PoolGrid + 1, c = r.PoolWidth;
        flops += 2.0 * (2 * t * c * c + c * c + 2 * t * c) + 2.0 * c * embedDim;
        return flops;
    }
}
