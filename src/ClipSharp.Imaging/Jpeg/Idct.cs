using System.Runtime.CompilerServices;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// Integer inverse DCTs with the arithmetic of libjpeg's JDCT_ISLOW (the Loeffler–Ligtenberg–Moschytz
/// algorithm in 13-bit fixed point, two extra bits kept between the column and row passes) and of its
/// reduced-size variants that produce 4x4, 2x2 and 1x1 outputs from an 8x8 block (used for scaled decoding).
/// Every kernel: output[y * stride + x] = clamp(IDCT(coef · quant)[y, x] + 128, 0, 255), with the
/// products rounded exactly where libjpeg rounds them; coefficients and multipliers are in natural order.
/// The final clamp saturates, as libjpeg-turbo's SIMD kernels do (its scalar range-limit table wraps
/// values beyond ±512, which valid images never reach).
/// </summary>
internal static class Idct
{
    private const int ConstBits = 13;
    private const int Pass1Bits = 2;

    // FIX(x) = round(x * 2^13)
    private const int Fix0_211164243 = 1730;
    private const int Fix0_298631336 = 2446;
    private const int Fix0_390180644 = 3196;
    private const int Fix0_509795579 = 4176;
    private const int Fix0_541196100 = 4433;
    private const int Fix0_601344887 = 4926;
    private const int Fix0_720959822 = 5906;
    private const int Fix0_765366865 = 6270;
    private const int Fix0_850430095 = 6967;
    private const int Fix0_899976223 = 7373;
    private const int Fix1_061594337 = 8697;
    private const int Fix1_175875602 = 9633;
    private const int Fix1_272758580 = 10426;
    private const int Fix1_451774981 = 11893;
    private const int Fix1_501321110 = 12299;
    private const int Fix1_847759065 = 15137;
    private const int Fix1_961570560 = 16069;
    private const int Fix2_053119869 = 16819;
    private const int Fix2_172734803 = 17799;
    private const int Fix2_562915447 = 20995;
    private const int Fix3_072711026 = 25172;
    private const int Fix3_624509785 = 29692;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static byte Limit(int x)
    {
        x += 128;
        return (byte)(x < 0 ? 0 : x > 255 ? 255 : x);
    }

    /// <summary>Dispatches to the kernel for an output block edge of <paramref name="size"/> (8, 4, 2 or 1).</summary>
    public static void Transform(int size, ReadOnlySpan<short> coef, ReadOnlySpan<short> quant, Span<byte> output, int stride)
    {
        switch (size)
        {
            case 8:
                if (IdctAvx2.IsSupported) IdctAvx2.Islow8x8(coef, quant, output, stride);
                else Islow8x8(coef, quant, output, stride);
                break;
            case 4: Reduced4x4(coef, quant, output, stride); break;
            case 2: Reduced2x2(coef, quant, output, stride); break;
            default: Reduced1x1(coef, quant, output); break;
        }
    }

    /// <summary>
    /// Full 8x8 inverse DCT (libjpeg jpeg_idct_islow arithmetic); writes 8 rows of 8 samples. The scalar
    /// reference; <see cref="IdctAvx2.Islow8x8"/> is the fast path.
    /// </summary>
    public static void Islow8x8(ReadOnlySpan<short> coef, ReadOnlySpan<short> quant, Span<byte> output, int stride)
    {
        coef = coef[..64];
        quant = quant[..64];
        _ = output[7 * stride + 7];
        Span<int> ws = stackalloc int[64];

        // Pass 1: columns, results scaled up by 2^Pass1Bits.
        for (int c = 0; c < 8; c++)
        {
            if (coef[8 + c] == 0 && coef[16 + c] == 0 && coef[24 + c] == 0 && coef[32 + c] == 0 &&
                coef[40 + c] == 0 && coef[48 + c] == 0 && coef[56 + c] == 0)
            {
                int dc = (coef[c] * quant[c]) << Pass1Bits;
                for (int r = 0; r < 8; r++) ws[r * 8 + c] = dc;
                continue;
            }
            int z2 = coef[16 + c] * quant[16 + c];
            int z3 = coef[48 + c] * quant[48 + c];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            z2 = coef[c] * quant[c];
            z3 = coef[32 + c] * quant[32 + c];
            int tmp0 = (z2 + z3) << ConstBits;
            int tmp1 = (z2 - z3) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = coef[56 + c] * quant[56 + c];
            tmp1 = coef[40 + c] * quant[40 + c];
            tmp2 = coef[24 + c] * quant[24 + c];
            tmp3 = coef[8 + c] * quant[8 + c];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int n = ConstBits - Pass1Bits;
            ws[c] = Descale(tmp10 + tmp3, n);
            ws[56 + c] = Descale(tmp10 - tmp3, n);
            ws[8 + c] = Descale(tmp11 + tmp2, n);
            ws[48 + c] = Descale(tmp11 - tmp2, n);
            ws[16 + c] = Descale(tmp12 + tmp1, n);
            ws[40 + c] = Descale(tmp12 - tmp1, n);
            ws[24 + c] = Descale(tmp13 + tmp0, n);
            ws[32 + c] = Descale(tmp13 - tmp0, n);
        }

        // Pass 2: rows, removing Pass1Bits and the 8x gain of the 2-D transform.
        for (int r = 0; r < 8; r++)
        {
            Span<int> w = ws.Slice(r * 8, 8);
            Span<byte> o = output.Slice(r * stride, 8);
            if (w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0)
            {
                o.Fill(Limit(Descale(w[0], Pass1Bits + 3)));
                continue;
            }
            int z2 = w[2], z3 = w[6];
            int z1 = (z2 + z3) * Fix0_541196100;
            int tmp2 = z1 + z3 * -Fix1_847759065;
            int tmp3 = z1 + z2 * Fix0_765366865;
            int tmp0 = (w[0] + w[4]) << ConstBits;
            int tmp1 = (w[0] - w[4]) << ConstBits;
            int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

            tmp0 = w[7]; tmp1 = w[5]; tmp2 = w[3]; tmp3 = w[1];
            Odd(ref tmp0, ref tmp1, ref tmp2, ref tmp3);

            const int n = ConstBits + Pass1Bits + 3;
            o[0] = Limit(Descale(tmp10 + tmp3, n));
            o[7] = Limit(Descale(tmp10 - tmp3, n));
            o[1] = Limit(Descale(tmp11 + tmp2, n));
            o[6] = Limit(Descale(tmp11 - tmp2, n));
            o[2] = Limit(Descale(tmp12 + tmp1, n));
            o[5] = Limit(Descale(tmp12 - tmp1, n));
            o[3] = Limit(Descale(tmp13 + tmp0, n));
            o[4] = Limit(Descale(tmp13 - tmp0, n));
        }
    }

    /// <summary>Odd part of the 8-point ISLOW IDCT: inputs y7, y5, y3, y1 in tmp0..tmp3, outputs in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Odd(ref int tmp0, ref int tmp1, ref int tmp2, ref int tmp3)
    {
        int z1 = tmp0 + tmp3, z2 = tmp1 + tmp2, z3 = tmp0 + tmp2, z4 = tmp1 + tmp3;
        int z5 = (z3 + z4) * Fix1_175875602;
        tmp0 *= Fix0_298631336;
        tmp1 *= Fix2_053119869;
        tmp2 *= Fix3_072711026;
        tmp3 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = z3 * -Fix1_961570560 + z5;
        z4 = z4 * -Fix0_390180644 + z5;
        tmp0 += z1 + z3;
        tmp1 += z2 + z4;
        tmp2 += z2 + z3;
        tmp3 += z1 + z4;
    }

    /// <summary>8x8 coefficients → 4x4 samples (libjpeg jpeg_idct_4x4 arithmetic; rows/columns 4 are ignored).</summary>
    public static void Reduced4x4(ReadOnlySpan<short> coef, ReadOnlySpan<short> quant, Span<byte> output, int stride)
    {
        coef = coef[..64];
        quant = quant[..64];
        _ = output[3 * stride + 3];
        Span<int> ws = stackalloc int[32];
        for (int c = 0; c < 8; c++)
        {
            if (c == 4) continue;
            if (coef[8 + c] == 0 && coef[16 + c] == 0 && coef[24 + c] == 0 &&
                coef[40 + c] == 0 && coef[48 + c] == 0 && coef[56 + c] == 0)
            {
                int dc = (coef[c] * quant[c]) << Pass1Bits;
                ws[c] = ws[8 + c] = ws[16 + c] = ws[24 + c] = dc;
                continue;
            }
            int tmp0 = (coef[c] * quant[c]) << (ConstBits + 1);
            int tmp2 = coef[16 + c] * quant[16 + c] * Fix1_847759065 + coef[48 + c] * quant[48 + c] * -Fix0_765366865;
            int tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;
            Odd4(coef[56 + c] * quant[56 + c], coef[40 + c] * quant[40 + c],
                 coef[24 + c] * quant[24 + c], coef[8 + c] * quant[8 + c], out tmp0, out tmp2);
            const int n = ConstBits - Pass1Bits + 1;
            ws[c] = Descale(tmp10 + tmp2, n);
            ws[24 + c] = Descale(tmp10 - tmp2, n);
            ws[8 + c] = Descale(tmp12 + tmp0, n);
            ws[16 + c] = Descale(tmp12 - tmp0, n);
        }
        for (int r = 0; r < 4; r++)
        {
            Span<int> w = ws.Slice(r * 8, 8);
            Span<byte> o = output.Slice(r * stride, 4);
            if (w[1] == 0 && w[2] == 0 && w[3] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0)
            {
                o.Fill(Limit(Descale(w[0], Pass1Bits + 3)));
                continue;
            }
            int tmp0 = w[0] << (ConstBits + 1);
            int tmp2 = w[2] * Fix1_847759065 + w[6] * -Fix0_765366865;
            int tmp10 = tmp0 + tmp2, tmp12 = tmp0 - tmp2;
            Odd4(w[7], w[5], w[3], w[1], out tmp0, out tmp2);
            const int n = ConstBits + Pass1Bits + 3 + 1;
            o[0] = Limit(Descale(tmp10 + tmp2, n));
            o[3] = Limit(Descale(tmp10 - tmp2, n));
            o[1] = Limit(Descale(tmp12 + tmp0, n));
            o[2] = Limit(Descale(tmp12 - tmp0, n));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Odd4(int z1, int z2, int z3, int z4, out int tmp0, out int tmp2)
    {
        tmp0 = z1 * -Fix0_211164243 + z2 * Fix1_451774981 + z3 * -Fix2_172734803 + z4 * Fix1_061594337;
        tmp2 = z1 * -Fix0_509795579 + z2 * -Fix0_601344887 + z3 * Fix0_899976223 + z4 * Fix2_562915447;
    }

    /// <summary>8x8 coefficients → 2x2 samples (libjpeg jpeg_idct_2x2 arithmetic; only rows/columns 0, 1, 3, 5, 7 are used).</summary>
    public static void Reduced2x2(ReadOnlySpan<short> coef, ReadOnlySpan<short> quant, Span<byte> output, int stride)
    {
        coef = coef[..64];
        quant = quant[..64];
        _ = output[stride + 1];
        Span<int> ws = stackalloc int[16];
        for (int c = 0; c < 8; c++)
        {
            if (c is 2 or 4 or 6) continue;
            if (coef[8 + c] == 0 && coef[24 + c] == 0 && coef[40 + c] == 0 && coef[56 + c] == 0)
            {
                int dc = (coef[c] * quant[c]) << Pass1Bits;
                ws[c] = ws[8 + c] = dc;
                continue;
            }
            int tmp10 = (coef[c] * quant[c]) << (ConstBits + 2);
            int tmp0 = Odd2(coef[56 + c] * quant[56 + c], coef[40 + c] * quant[40 + c],
                            coef[24 + c] * quant[24 + c], coef[8 + c] * quant[8 + c]);
            const int n = ConstBits - Pass1Bits + 2;
            ws[c] = Descale(tmp10 + tmp0, n);
            ws[8 + c] = Descale(tmp10 - tmp0, n);
        }
        for (int r = 0; r < 2; r++)
        {
            Span<int> w = ws.Slice(r * 8, 8);
            Span<byte> o = output.Slice(r * stride, 2);
            if (w[1] == 0 && w[3] == 0 && w[5] == 0 && w[7] == 0)
            {
                o.Fill(Limit(Descale(w[0], Pass1Bits + 3)));
                continue;
            }
            int tmp10 = w[0] << (ConstBits + 2);
            int tmp0 = Odd2(w[7], w[5], w[3], w[1]);
            const int n = ConstBits + Pass1Bits + 3 + 2;
            o[0] = Limit(Descale(tmp10 + tmp0, n));
            o[1] = Limit(Descale(tmp10 - tmp0, n));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Odd2(int y7, int y5, int y3, int y1) =>
        y7 * -Fix0_720959822 + y5 * Fix0_850430095 + y3 * -Fix1_272758580 + y1 * Fix3_624509785;

    /// <summary>8x8 coefficients → 1 sample: clamp(round(DC · q / 8) + 128).</summary>
    public static void Reduced1x1(ReadOnlySpan<short> coef, ReadOnlySpan<short> quant, Span<byte> output) =>
        output[0] = Limit(Descale(coef[0] * quant[0], 3));
}
