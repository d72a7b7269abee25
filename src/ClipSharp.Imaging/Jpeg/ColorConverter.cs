namespace ClipSharp.Imaging.Jpeg;

/// <summary>The colour space of the coded components, decided as libjpeg's default_decompress_parms does.</summary>
internal enum JpegColorSpace { Grayscale, YCbCr, Rgb, Cmyk, Ycck }

/// <summary>
/// Converts rows of upsampled components to interleaved output pixels with libjpeg's fixed-point YCbCr
/// arithmetic (jdcolor.c, 16 fraction bits):
/// R = Y + ((FIX(1.402)·(Cr−128) + ½) >> 16),
/// G = Y + ((−FIX(0.34414)·(Cb−128) − FIX(0.71414)·(Cr−128) + ½) >> 16),
/// B = Y + ((FIX(1.772)·(Cb−128) + ½) >> 16), each clamped to 0..255, FIX(x) = round(x·65536).
/// </summary>
internal static class ColorConverter
{
    private const int ScaleBits = 16;
    private const int OneHalf = 1 << (ScaleBits - 1);

    private static readonly int[] CrR = new int[256], CbB = new int[256], CrG = new int[256], CbG = new int[256];

    static ColorConverter()
    {
        static int Fix(double x) => (int)(x * (1 << ScaleBits) + 0.5);
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            CrR[i] = (Fix(1.40200) * x + OneHalf) >> ScaleBits;
            CbB[i] = (Fix(1.77200) * x + OneHalf) >> ScaleBits;
            CrG[i] = -Fix(0.71414) * x;
            CbG[i] = -Fix(0.34414) * x + OneHalf;
        }
    }

    /// <summary>
    /// Picks the coded colour space: 1 component is greyscale; 3 are YCbCr if a JFIF APP0 was seen, else per
    /// the Adobe APP14 transform (0 = RGB, otherwise YCbCr), else RGB only when the component ids are
    /// 'R','G','B'; 4 are YCCK when an Adobe marker says transform 2 (or any transform but 0), else CMYK.
    /// </summary>
    public static JpegColorSpace Detect(JpegFrame frame, JpegTables tables)
    {
        var c = frame.Components;
        switch (c.Length)
        {
            case 1:
                return JpegColorSpace.Grayscale;
            case 3:
                if (tables.SawJfif) return JpegColorSpace.YCbCr;
                if (tables.SawAdobe) return tables.AdobeTransform == 0 ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
                return c[0].Id == 'R' && c[1].Id == 'G' && c[2].Id == 'B' ? JpegColorSpace.Rgb : JpegColorSpace.YCbCr;
            default:
                return tables.SawAdobe && tables.AdobeTransform != 0 ? JpegColorSpace.Ycck : JpegColorSpace.Cmyk;
        }
    }

    /// <summary>
    /// Writes one output row of <paramref name="width"/> pixels. Greyscale: L. YCbCr/RGB: R,G,B.
    /// CMYK/YCCK: C,M,Y,K inverted (255 − v) because Pillow reads every 4-component JPEG as "CMYK;I",
    /// assuming Adobe's inverted polarity; for YCCK libjpeg's CMYK is (255−R, 255−G, 255−B, K), so the result is (R, G, B, 255−K).
    /// </summary>
    public static void ConvertRow(JpegColorSpace space, ReadOnlySpan<byte> c0, ReadOnlySpan<byte> c1,
        ReadOnlySpan<byte> c2, ReadOnlySpan<byte> c3, Span<byte> output, int width)
    {
        switch (space)
        {
            case JpegColorSpace.Grayscale:
                c0[..width].CopyTo(output);
                break;
            case JpegColorSpace.YCbCr:
                YccToRgb(c0[..width], c1[..width], c2[..width], output[..(3 * width)]);
                break;
            case JpegColorSpace.Rgb:
                for (int x = 0; x < width; x++)
                {
                    output[3 * x] = c0[x];
                    output[3 * x + 1] = c1[x];
                    output[3 * x + 2] = c2[x];
                }
                break;
            case JpegColorSpace.Cmyk:
                for (int x = 0; x < width; x++)
                {
                    output[4 * x] = (byte)(255 - c0[x]);
                    output[4 * x + 1] = (byte)(255 - c1[x]);
                    output[4 * x + 2] = (byte)(255 - c2[x]);
                    output[4 * x + 3] = (byte)(255 - c3[x]);
                }
                break;
            default:
                for (int x = 0; x < width; x++)
                {
                    int y = c0[x], cb = c1[x], cr = c2[x];
                    output[4 * x] = Clamp(y + CrR[cr]);
                    output[4 * x + 1] = Clamp(y + ((CbG[cb] + CrG[cr]) >> ScaleBits));
                    output[4 * x + 2] = Clamp(y + CbB[cb]);
                    output[4 * x + 3] = (byte)(255 - c3[x]);
                }
                break;
        }
    }

    /// <summary>rgb[3x..3x+2] = YCbCr→RGB of (y[x], cb[x], cr[x]) with the formula in the class summary.</summary>
    public static void YccToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> rgb)
    {
        int done = ColorConverterAvx2.IsSupported ? ColorConverterAvx2.YccToRgb(y, cb, cr, rgb) : 0;
        YccToRgbReference(y[done..], cb[done..], cr[done..], rgb[(3 * done)..]);
    }

    /// <summary>Scalar reference of <see cref="YccToRgb"/> (table lookups, as jdcolor.c).</summary>
    public static void YccToRgbReference(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> rgb)
    {
        int n = y.Length;
        if (n == 0) return;
        _ = cb[n - 1];
        _ = cr[n - 1];
        _ = rgb[3 * n - 1];
        int[] crR = CrR, cbB = CbB, crG = CrG, cbG = CbG;
        for (int x = 0; x < n; x++)
        {
            int yy = y[x], b = cb[x], r = cr[x];
            rgb[3 * x] = Clamp(yy + crR[r]);
            rgb[3 * x + 1] = Clamp(yy + ((cbG[b] + crG[r]) >> ScaleBits));
            rgb[3 * x + 2] = Clamp(yy + cbB[b]);
        }
    }

    private static byte Clamp(int v) => (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
}
