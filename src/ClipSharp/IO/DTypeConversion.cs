using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ClipSharp.IO;

/// <summary>
/// Span kernels converting little-endian checkpoint bytes to and from float32. Allocation-free;
/// each overwrites its destination. Integer types convert with <c>(float)x</c>, so values beyond
/// ±2^24 lose precision (BatchNorm's num_batches_tracked and HF position_ids are far below that).
/// </summary>
public static class DTypeConversion
{
    /// <summary>
    /// <c>dst[i] = (float)src[i]</c> for the <c>dst.Length</c> elements of type <paramref name="dtype"/>
    /// stored little-endian in <paramref name="src"/> (which must hold exactly that many).
    /// </summary>
    public static void ToFloat32(DType dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        if (src.Length != (long)dst.Length * dtype.Size())
            throw new ArgumentException($"{dtype.Name()}: {src.Length} bytes for {dst.Length} elements (expected {(long)dst.Length * dtype.Size()})");
        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src), dst);
                break;
            case DType.BF16:
                BFloat16ToFloat32(MemoryMarshal.Cast<byte, ushort>(src), dst);
                break;
            case DType.F64:
                for (int i = 0; i < dst.Length; i++) dst[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src.Slice(i * 8));
                break;
            case DType.I64:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src.Slice(i * 8));
                break;
            case DType.I32:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt32LittleEndian(src.Slice(i * 4));
                break;
            case DType.I16:
                for (int i = 0; i < dst.Length; i++) dst[i] = BinaryPrimitives.ReadInt16LittleEndian(src.Slice(i * 2));
                break;
            case DType.I8:
                for (int i = 0; i < dst.Length; i++) dst[i] = (sbyte)src[i];
                break;
            case DType.U8:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i];
                break;
            case DType.Bool:
                for (int i = 0; i < dst.Length; i++) dst[i] = src[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unsupported dtype");
        }
    }

    /// <summary>
    /// bfloat16 to float32: the 16 stored bits are the high half of the float, so
    /// <c>bits(dst[i]) = src[i] &lt;&lt; 16</c> (exact). Vectorised with 128-bit widening where available.
    /// </summary>
    public static void BFloat16ToFloat32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (src.Length != dst.Length) throw new ArgumentException("source and destination lengths differ");
        var bits = MemoryMarshal.Cast<float, uint>(dst);
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= src.Length - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                var v = Vector128.Create(src.Slice(i, Vector128<ushort>.Count));
                var (lo, hi) = Vector128.Widen(v);
                (lo << 16).CopyTo(bits.Slice(i));
                (hi << 16).CopyTo(bits.Slice(i + Vector128<uint>.Count));
            }
        }
        for (; i < src.Length; i++) bits[i] = (uint)src[i] << 16;
    }

    /// <summary>
    /// float32 to bfloat16 with round-to-nearest-even on the dropped 16 bits (NaN stays NaN):
    /// <c>dst[i] = (bits + 0x7FFF + ((bits &gt;&gt; 16) &amp; 1)) &gt;&gt; 16</c>.
    /// </summary>
    public static void Float32ToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (src.Length != dst.Length) throw new ArgumentException("source and destination lengths differ");
        var bits = MemoryMarshal.Cast<float, uint>(src);
        for (int i = 0; i < src.Length; i++)
        {
            uint b = bits[i];
            dst[i] = float.IsNaN(src[i]) ? (ushort)((b >> 16) | 0x40) : (ushort)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
        }
    }

    /// <summary>
    /// float32 to the little-endian bytes of <paramref name="dtype"/> (F32, F16 with round-to-nearest-even,
    /// BF16, or I64/I32 for integral values); <paramref name="dst"/> must be exactly <c>src.Length * dtype.Size()</c> bytes.
    /// </summary>
    public static void FromFloat32(DType dtype, ReadOnlySpan<float> src, Span<byte> dst)
    {
        if (dst.Length != (long)src.Length * dtype.Size())
            throw new ArgumentException($"{dtype.Name()}: {dst.Length} bytes for {src.Length} elements");
        switch (dtype)
        {
            case DType.F32: MemoryMarshal.AsBytes(src).CopyTo(dst); break;
            case DType.F16: TensorPrimitives.ConvertToHalf(src, MemoryMarshal.Cast<byte, Half>(dst)); break;
            case DType.BF16: Float32ToBFloat16(src, MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case DType.I64:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(dst.Slice(i * 8), ToInteger(src[i]));
                break;
            case DType.I32:
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(dst.Slice(i * 4), checked((int)ToInteger(src[i])));
                break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "can only write F32, F16, BF16, I64 or I32");
        }
    }

    private static long ToInteger(float v)
    {
        if (v != MathF.Truncate(v) || float.IsInfinity(v) || MathF.Abs(v) > 9.2e18f)
            throw new ArgumentException($"value {v} is not an integer; cannot store it as an integer dtype");
        return (long)v;
    }
}
