using ClipSharp.Imaging.Conversion;
using ClipSharp.Imaging.Resampling;

namespace ClipSharp.Imaging.Preprocessing;

/// <summary>
/// CLIP image preprocessing, reproducing the reference pipeline bit for bit: Pillow resize (see
/// <see cref="Resampler"/>), center crop (or zero padding) to C×C, convert to RGB after the crop (unless the
/// convention converts first), then per channel ((x / 255) − mean) / std in float32, written as (3, C, C) CHW.
/// Only the pixels that survive the crop are resampled.
/// </summary>
public sealed class Preprocessor
{
    private readonly float[] _lut; // 3 × 256: the normalised value of each byte per channel

    public PreprocessConfig Config { get; }

    /// <summary>Side of the square output.</summary>
    public int OutputSize => Config.CropSize;

    /// <summary>Number of floats one image produces: 3 · C · C.</summary>
    public int OutputLength => 3 * Config.CropSize * Config.CropSize;

    public Preprocessor(PreprocessConfig config)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        _lut = new float[3 * 256];
        for (int c = 0; c < 3; c++)
        {
            float mean = config.Mean[c], std = config.Std[c];
            for (int v = 0; v < 256; v++)
            {
                float x = config.Convention == PipelineConvention.HuggingFace
                    ? (float)(v * (1.0 / 255.0))   // numpy: uint8 * python float → float64, then astype(float32)
                    : v / 255f;                    // torch: uint8 tensor .to(float32).div(255)
                _lut[c * 256 + v] = (x - mean) / std;
            }
        }
    }

    /// <summary>Preprocesses one image into a new (3, C, C) array.</summary>
    public float[] Preprocess(ImageFrame frame)
    {
        var result = new float[OutputLength];
        Preprocess(frame, result);
        return result;
    }

    /// <summary>Preprocesses one image into <paramref name="destination"/> (at least <see cref="OutputLength"/> floats, CHW, overwritten).</summary>
    public void Preprocess(ImageFrame frame, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (destination.Length < OutputLength)
            throw new ArgumentException($"destination holds {destination.Length} floats, preprocessing needs {OutputLength}", nameof(destination));

        if (Config.Convention == PipelineConvention.HuggingFace) frame = RgbConverter.ToRgb(frame);
        var (rw, rh) = ResizedSize(frame.Width, frame.Height);
        int c = Config.CropSize;
        var (x0, padX, w) = CropAxis(rw, c);
        var (y0, padY, h) = CropAxis(rh, c);

        var window = Resampler.ResizeRegion(frame, rw, rh, Config.Interpolation, x0, y0, w, h);
        ImageFrame cropped = window;
        if (w != c || h != c)
        {
            // Pad with zero bytes in the window's own mode (palette index 0 for "P"), as PIL's expand does.
            int bpp = window.BytesPerPixel;
            var padded = new byte[(long)c * c * bpp];
            for (int j = 0; j < h; j++)
                window.Pixels.AsSpan(j * w * bpp, w * bpp).CopyTo(padded.AsSpan(((padY + j) * c + padX) * bpp));
            cropped = new ImageFrame(c, c, window.Mode, padded) { Palette = window.Palette };
        }

        var rgb = RgbConverter.ToRgb(cropped).Pixels;
        int plane = c * c;
        var r = destination[..plane];
        var g = destination.Slice(plane, plane);
        var b = destination.Slice(2 * plane, plane);
        var lut = _lut.AsSpan();
        for (int i = 0; i < plane; i++)
        {
            r[i] = lut[rgb[i * 3]];
            g[i] = lut[256 + rgb[i * 3 + 1]];
            b[i] = lut[512 + rgb[i * 3 + 2]];
        }
    }

    /// <summary>The size the resize step produces for a <paramref name="width"/> × <paramref name="height"/> image.</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        int s = Config.Size;
        switch (Config.ResizeMode)
        {
            case ResizeMode.Squash:
                return (s, s);
            case ResizeMode.Longest:
            {
                // open_clip ResizeKeepRatio: ratio = max(h / s, w / s); size = round(side / ratio), half to even.
                double ratio = Math.Max((double)height / s, (double)width / s);
                int nh = (int)Math.Round(height / ratio, MidpointRounding.ToEven);
                int nw = (int)Math.Round(width / ratio, MidpointRounding.ToEven);
                return (Math.Max(nw, 1), Math.Max(nh, 1));
            }
            default:
            {
                // torchvision: short side → s, long side → int(s * long / short).
                bool wide = width > height;
                int shortSide = wide ? height : width, longSide = wide ? width : height;
                int newLong = (int)((double)((long)s * longSide) / shortSide);
                return wide ? (newLong, s) : (s, newLong);
            }
        }
    }

    /// <summary>
    /// For one axis of length <paramref name="d"/> cropped to <paramref name="c"/>: the first kept source
    /// index, where it lands in the output (padding before it), and how many are kept.
    /// </summary>
    private (int Start, int Pad, int Count) CropAxis(int d, int c)
    {
        if (d >= c)
        {
            int diff = d - c;
            int start = Config.Convention switch
            {
                PipelineConvention.OpenClip => (int)((diff + 1) * 0.5),
                PipelineConvention.HuggingFace => diff / 2,
                _ => (int)Math.Round(diff / 2.0, MidpointRounding.ToEven),
            };
            return (start, 0, c);
        }
        int pad = Config.Convention == PipelineConvention.HuggingFace ? (c - d + 1) / 2 : (c - d) / 2;
        return (0, pad, d);
    }
}
