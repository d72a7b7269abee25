using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// AVX2 version of <see cref="Idct.Islow8x8"/>: the same 32-bit fixed-point arithmetic, eight columns (then
/// eight rows) per instruction, so its output is identical to the scalar kernel's for every block whose
/// dequantised coefficients stay within the range of valid 8-bit JPEG data (the scalar kernel's all-zero
/// shortcuts are exact there). The final clamp to 0..255 comes from saturating packs.
/// </summary>
internal static class IdctAvx2
{
    public static bool IsSupported => Avx2.IsSupported;

    /// <summary>output[y * stride + x] = clamp(ISLOW-IDCT(coef · quant)[y, x] + 128, 0, 255) for an 8x8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void Islow8x8(ReadOnlySpan<short> coef, ReadOnlySpan<short> quant, Span<byte> output, int stride)
    {
        if (coef.Length < 64 || quant.Length < 64 || output.Length < 7 * stride + 8)
            throw new ArgumentException("IDCT needs 64 coefficients, 64 multipliers and 8 rows of 8 output samples");
        fixed (short* c = coef)
        fixed (short* q = quant)
        fixed (byte* o = output)
        {
            // Rows of the block, dequantised (lanes = columns).
            var v0 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c), Avx2.ConvertToVector256Int32(q));
            var v1 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 8), Avx2.ConvertToVector256Int32(q + 8));
            var v2 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 16), Avx2.ConvertToVector256Int32(q + 16));
            var v3 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 24), Avx2.ConvertToVector256Int32(q + 24));
            var v4 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 32), Avx2.ConvertToVector256Int32(q + 32));
            var v5 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 40), Avx2.ConvertToVector256Int32(q + 40));
            var v6 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 48), Avx2.ConvertToVector256Int32(q + 48));
            var v7 = Avx2.MultiplyLow(Avx2.ConvertToVector256Int32(c + 56), Avx2.ConvertToVector256Int32(q + 56));

            // Pass 1: columns; keep 2 extra fraction bits: (x + 2^10) >> 11.
            Pass(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7, 1 << 10, 11);
            Transpose(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7);
            // Pass 2: rows (lanes = rows now); (x + 2^17) >> 18, plus the 128 level shift folded into the rounding.
            Pass(ref v0, ref v1, ref v2, ref v3, ref v4, ref v5, ref v6, ref v7, (1 << 17) + (128 << 18), 18);

            // v_j holds output column j for rows 0..7. Pack to bytes with saturation (the clamp), then
            // transpose the two 4x4-byte tiles in each 128-bit lane.
            var cols0123 = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(v0, v1), Avx2.PackSignedSaturate(v2, v3));
            var cols4567 = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(v4, v5), Avx2.PackSignedSaturate(v6, v7));
            var tile = Vector256.Create((byte)0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
                                        0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
            var left = Avx2.Shuffle(cols0123, tile).AsInt32();   // rows 0-3 | rows 4-7, columns 0-3
            var right = Avx2.Shuffle(cols4567, tile).AsInt32();  // same for columns 4-7
            var rows0145 = Avx2.UnpackLow(left, right).AsUInt64();
            var rows2367 = Avx2.UnpackHigh(left, right).AsUInt64();
            *(ulong*)o = rows0145.GetElement(0);
            *(ulong*)(o + stride) = rows0145.GetElement(1);
            *(ulong*)(o + 4 * stride) = rows0145.GetElement(2);
            *(ulong*)(o + 5 * stride) = rows0145.GetElement(3);
            *(ulong*)(o + 2 * stride) = rows2367.GetElement(0);
            *(ulong*)(o + 3 * stride) = rows2367.GetElement(1);
            *(ulong*)(o + 6 * stride) = rows2367.GetElement(2);
            *(ulong*)(o + 7 * stride) = rows2367.GetElement(3);
        }
    }

    /// <summary>One 8-point ISLOW pass over v0..v7 (index = position along the transform), then (x + round) >> shift.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Pass(ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
        ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7, int round, int shift)
    {
        var z1 = (v2 + v6) * Vector256.Create(4433);
        var tmp2 = z1 + v6 * Vector256.Create(-15137);
        var tmp3 = z1 + v2 * Vector256.Create(6270);
        var tmp0 = (v0 + v4) << 13;
        var tmp1 = (v0 - v4) << 13;
        var r = Vector256.Create(round);
        var tmp10 = tmp0 + tmp3 + r;
        var tmp13 = tmp0 - tmp3 + r;
        var tmp11 = tmp1 + tmp2 + r;
        var tmp12 = tmp1 - tmp2 + r;

        var t0 = v7; var t1 = v5; var t2 = v3; var t3 = v1;
        var y1 = t0 + t3; var y2 = t1 + t2; var y3 = t0 + t2; var y4 = t1 + t3;
        var y5 = (y3 + y4) * Vector256.Create(9633);
        t0 *= Vector256.Create(2446);
        t1 *= Vector256.Create(16819);
        t2 *= Vector256.Create(25172);
        t3 *= Vector256.Create(12299);
        y1 *= Vector256.Create(-7373);
        y2 *= Vector256.Create(-20995);
        y3 = y3 * Vector256.Create(-16069) + y5;
        y4 = y4 * Vector256.Create(-3196) + y5;
        t0 += y1 + y3;
        t1 += y2 + y4;
        t2 += y2 + y3;
        t3 += y1 + y4;

        v0 = (tmp10 + t3) >> shift;
        v7 = (tmp10 - t3) >> shift;
        v1 = (tmp11 + t2) >> shift;
        v6 = (tmp11 - t2) >> shift;
        v2 = (tmp12 + t1) >> shift;
        v5 = (tmp12 - t1) >> shift;
        v3 = (tmp13 + t0) >> shift;
        v4 = (tmp13 - t0) >> shift;
    }

    /// <summary>Transposes the 8x8 matrix whose rows are v0..v7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<int> v0, ref Vector256<int> v1, ref Vector256<int> v2, ref Vector256<int> v3,
        ref Vector256<int> v4, ref Vector256<int> v5, ref Vector256<int> v6, ref Vector256<int> v7)
    {
        var t0 = Avx2.UnpackLow(v0, v1).AsInt64();
        var t1 = Avx2.UnpackHigh(v0, v1).AsInt64();
        var t2 = Avx2.UnpackLow(v2, v3).AsInt64();
        var t3 = Avx2.UnpackHigh(v2, v3).AsInt64();
        var t4 = Avx2.UnpackLow(v4, v5).AsInt64();
        var t5 = Avx2.UnpackHigh(v4, v5).AsInt64();
        var t6 = Avx2.UnpackLow(v6, v7).AsInt64();
        var t7 = Avx2.UnpackHigh(v6, v7).AsInt64();
        var u0 = Avx2.UnpackLow(t0, t2).AsInt32();
        var u1 = Avx2.UnpackHigh(t0, t2).AsInt32();
        var u2 = Avx2.UnpackLow(t1, t3).AsInt32();
        var u3 = Avx2.UnpackHigh(t1, t3).AsInt32();
        var u4 = Avx2.UnpackLow(t4, t6).AsInt32();
        var u5 = Avx2.UnpackHigh(t4, t6).AsInt32();
        var u6 = Avx2.UnpackLow(t5, t7).AsInt32();
        var u7 = Avx2.UnpackHigh(t5, t7).AsInt32();
        v0 = Avx2.Permute2x128(u0, u4, 0x20);
        v4 = Avx2.Permute2x128(u0, u4, 0x31);
        v1 = Avx2.Permute2x128(u1, u5, 0x20);
        v5 = Avx2.Permute2x128(u1, u5, 0x31);
        v2 = Avx2.Permute2x128(u2, u6, 0x20);
        v6 = Avx2.Permute2x128(u2, u6, 0x31);
        v3 = Avx2.Permute2x128(u3, u7, 0x20);
        v7 = Avx2.Permute2x128(u3, u7, 0x31);
    }
}
