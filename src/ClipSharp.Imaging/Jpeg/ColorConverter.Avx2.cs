using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Imaging.Jpeg;

/// <summary>
/// AVX2 version of <see cref="ColorConverter.YccToRgb"/>: the identical fixed-point formulas evaluated in
/// 32-bit lanes, 16 pixels per step, clamped by saturating packs and interleaved to R,G,B with byte shuffles.
/// </summary>
internal static class ColorConverterAvx2
{
    public static bool IsSupported => Avx2.IsSupported;

    // Byte-shuffle masks that scatter 16 R (or G, or B) samples into their places in 48 interleaved bytes.
    private static readonly Vector128<byte>[] Masks = BuildMasks();

    private static Vector128<byte>[] BuildMasks()
    {
        var masks = new Vector128<byte>[9];
        for (int block = 0; block < 3; block++)
            for (int channel = 0; channel < 3; channel++)
            {
                var m = new byte[16];
                for (int i = 0; i < 16; i++)
                {
                    int n = 16 * block + i;
                    m[i] = n % 3 == channel ? (byte)(n / 3) : (byte)0x80;
                }
                masks[3 * block + channel] = Vector128.Create(m);
            }
        return masks;
    }

    /// <summary>Converts the first n - n % 16 pixels; returns how many it converted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe int YccToRgb(ReadOnlySpan<byte> y, ReadOnlySpan<byte> cb, ReadOnlySpan<byte> cr, Span<byte> rgb)
    {
        int n = y.Length & ~15;
        if (n == 0) return 0;
        if (cb.Length < n || cr.Length < n || rgb.Length < 3 * n)
            throw new ArgumentException("YCbCr→RGB needs equal-length rows and 3 output bytes per pixel");
        var masks = Masks;
        Vector128<byte> r0 = masks[0], g0 = masks[1], b0 = masks[2], r1 = masks[3], g1 = masks[4], b1 = masks[5],
            r2 = masks[6], g2 = masks[7], b2 = masks[8];
        fixed (byte* py = y)
        fixed (byte* pcb = cb)
        fixed (byte* pcr = cr)
        fixed (byte* po = rgb)
        {
            for (int x = 0; x < n; x += 16)
            {
                Convert8(py + x, pcb + x, pcr + x, out var rl, out var gl, out var bl);
                Convert8(py + x + 8, pcb + x + 8, pcr + x + 8, out var rh, out var gh, out var bh);
                var r = Pack(rl, rh);
                var g = Pack(gl, gh);
                var b = Pack(bl, bh);
                byte* o = po + 3 * x;
                Sse2.Store(o, Ssse3.Shuffle(r, r0) | Ssse3.Shuffle(g, g0) | Ssse3.Shuffle(b, b0));
                Sse2.Store(o + 16, Ssse3.Shuffle(r, r1) | Ssse3.Shuffle(g, g1) | Ssse3.Shuffle(b, b1));
                Sse2.Store(o + 32, Ssse3.Shuffle(r, r2) | Ssse3.Shuffle(g, g2) | Ssse3.Shuffle(b, b2));
            }
        }
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Convert8(byte* py, byte* pcb, byte* pcr, out Vector256<int> r, out Vector256<int> g, out Vector256<int> b)
    {
        var center = Vector256.Create(128);
        var half = Vector256.Create(1 << 15);
        var yy = Avx2.ConvertToVector256Int32(py);
        var cb = Avx2.ConvertToVector256Int32(pcb) - center;
        var cr = Avx2.ConvertToVector256Int32(pcr) - center;
        r = yy + ((cr * Vector256.Create(91881) + half) >> 16);
        g = yy + ((cb * Vector256.Create(-22554) + cr * Vector256.Create(-46802) + half) >> 16);
        b = yy + ((cb * Vector256.Create(116130) + half) >> 16);
    }

    /// <summary>16 ints (two vectors, in order) → 16 bytes clamped to 0..255.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Pack(Vector256<int> lo, Vector256<int> hi)
    {
        var s = Avx2.Permute4x64(Avx2.PackSignedSaturate(lo, hi).AsInt64(), 0b11_01_10_00).AsInt16();
        return Sse2.PackUnsignedSaturate(s.GetLower(), s.GetUpper());
    }
}
