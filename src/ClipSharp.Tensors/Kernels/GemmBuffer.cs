using System.Runtime.CompilerServices;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// A pinned, 64-byte-aligned float buffer for packed panels. Allocated on the pinned object heap, so
/// its address is stable without a fixed statement and it can be shared across worker threads.
/// </summary>
internal sealed unsafe class GemmBuffer
{
    private const int AlignFloats = 16;
    private readonly float[] _storage;

    /// <summary>Usable floats starting at <see cref="Pointer"/>.</summary>
    public long Length { get; }

    /// <summary>64-byte-aligned start of the usable region.</summary>
    public float* Pointer { get; }

    public GemmBuffer(long length)
    {
        if (length + AlignFloats > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, "GEMM packing buffer too large");
        _storage = GC.AllocateUninitializedArray<float>((int)length + AlignFloats, pinned: true);
        float* p = (float*)Unsafe.AsPointer(ref _storage[0]);
        nint misalign = (nint)p & 63;
        Pointer = misalign == 0 ? p : (float*)((byte*)p + (64 - misalign));
        Length = length;
    }

    /// <summary>Scratch kept per thread between calls: packed A blocks, and packed B for unpacked calls.</summary>
    [ThreadStatic] private static GemmBuffer? t_packedA, t_packedB, t_sharedA;

    /// <summary>Largest packed-B scratch kept per thread (64 Mi floats); larger ones are dropped after use.</summary>
    private const long KeepLimit = 64L << 20;

    /// <summary>This thread's packed-A scratch of at least <paramref name="length"/> floats (reused across calls).</summary>
    public static GemmBuffer ForPackedA(long length) => AtLeast(ref t_packedA, length);

    /// <summary>The buffer in <paramref name="slot"/>, replaced by a new one first if shorter than <paramref name="length"/>.</summary>
    private static GemmBuffer AtLeast(ref GemmBuffer? slot, long length)
    {
        if (slot == null || slot.Length < length) slot = new GemmBuffer(length);
        return slot;
    }

    /// <summary>
    /// The calling thread's buffer for an A packed once and read by all of one GEMM's tasks (reused across
    /// calls; the workers read it only while that thread waits for them).
    /// </summary>
    public static GemmBuffer ForSharedA(long length) => AtLeast(ref t_sharedA, length);

    /// <summary>
    /// This thread's packed-B scratch of at least <paramref name="length"/> floats. Valid until this
    /// thread's next call; kept for reuse unless larger than 64 Mi floats.
    /// </summary>
    public static GemmBuffer ForPackedB(long length)
    {
        var buf = t_packedB;
        if (buf != null && buf.Length >= length) return buf;
        buf = new GemmBuffer(length);
        t_packedB = length <= KeepLimit ? buf : null;
        return buf;
    }
}
