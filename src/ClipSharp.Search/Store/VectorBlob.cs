using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Store;

/// <summary>Encodes vectors as little-endian float32 or float16 blobs.</summary>
public static class VectorBlob
{
    public static int BytesPerElement(VectorPrecision p) => p switch
    {
        VectorPrecision.Float32 => 4,
        VectorPrecision.Float16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, null),
    };

    public static byte[] Encode(ReadOnlySpan<float> v, VectorPrecision precision)
    {
        var blob = new byte[v.Length * BytesPerElement(precision)];
        if (precision == VectorPrecision.Float32)
        {
            for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(blob.AsSpan(4 * i), v[i]);
        }
        else
        {
            var h = new Half[v.Length];
            TensorPrimitives.ConvertToHalf(v, h);
            for (int i = 0; i < h.Length; i++) BinaryPrimitives.WriteHalfLittleEndian(blob.AsSpan(2 * i), h[i]);
        }
        return blob;
    }

    /// <summary>Writes the blob's values into <paramref name="destination"/> (length D) as float32.</summary>
    public static void Decode(ReadOnlySpan<byte> blob, VectorPrecision precision, Span<float> destination)
    {
        if (precision == VectorPrecision.Float32)
        {
            if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(blob).CopyTo(destination);
            else for (int i = 0; i < destination.Length; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(blob[(4 * i)..]);
        }
        else
        {
            if (BitConverter.IsLittleEndian) TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(blob), destination);
            else for (int i = 0; i < destination.Length; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(blob[(2 * i)..]);
        }
    }

    /// <summary>Writes the blob's values into <paramref name="destination"/> (length D) as float16.</summary>
    public static void Decode(ReadOnlySpan<byte> blob, VectorPrecision precision, Span<Half> destination)
    {
        if (precision == VectorPrecision.Float16 && BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, Half>(blob).CopyTo(destination);
            return;
        }
        var tmp = new float[destination.Length];
        Decode(blob, precision, tmp);
        TensorPrimitives.ConvertToHalf(tmp, destination);
    }
}
