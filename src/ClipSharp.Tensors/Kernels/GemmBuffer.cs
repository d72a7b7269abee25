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

    [ThreadStatic] private static GemmBuffer? t_threadBuffer;
    private static GemmBuffer? s_shared;

    /// <summary>This thread's scratch buffer of at least <paramref name="length"/> floats (reused across calls).</summary>
    public static GemmBuffer ForThread(long length)
    {
        var buf = t_threadBuffer;
        if (buf == null || buf.Length < length) t_threadBuffer = buf = new GemmBuffer(length);
        return buf;
    }

    /// <summary>Takes the shared buffer if it is large enough, else allocates; give it back with <see cref="Return"/>.</summary>
    public static GemmBuffer Rent(long length)
    {
        var buf = Interlocked.Exchange(ref s_shared, null);
        if (buf != null && buf.Length >= length) return buf;
        if (buf != null) Return(buf);
        return new GemmBuffer(length);
    }

    /// <summary>Keeps <paramref name="buf"/> for the next <see cref="Rent"/> if it is the largest seen (up to 64 Mi floats).</summary>
    public static void Return(GemmBuffer buf)
    {
        if (buf.Length > 64L << 20) return;
        var seen = Volatile.Read(ref s_shared);
        while (seen == null || seen.Length < buf.Length)
        {
            var prior = Interlocked.CompareExchange(ref s_shared, buf, seen);
            if (prior == seen) return;
            seen = prior;
        }
    }
}
