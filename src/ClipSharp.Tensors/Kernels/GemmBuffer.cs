using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ClipSharp.Tensors.Kernels;

/// <summary>
/// A pinned, 64-byte-aligned float buffer for packed panels, at a stable address that worker threads share.
/// Small buffers live on the pinned object heap. Buffers of 2 MiB or more on Linux are native memory aligned to
/// 2 MiB and marked for transparent huge pages (madvise MADV_HUGEPAGE; where the kernel declines, they are ordinary
/// pages): a batch-1 forward pass streams every packed weight matrix once, and with 4 KiB pages each 32 KiB panel
/// costs eight TLB misses. Native memory is freed by the finalizer, so holders keep the buffer reachable while
/// they use <see cref="Pointer"/>.
/// </summary>
internal sealed unsafe class GemmBuffer
{
    private const int AlignFloats = 16;
    private const long HugePage = 2L << 20;
    private const int MadviseHugePage = 14;
    private readonly float[]? _storage;
    private readonly void* _native;

    /// <summary>Usable floats starting at <see cref="Pointer"/>.</summary>
    public long Length { get; }

    /// <summary>64-byte-aligned start of the usable region.</summary>
    public float* Pointer { get; }

    public GemmBuffer(long length)
    {
        if (length + AlignFloats > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(length), length, "GEMM packing buffer too large");
        Length = length;
        long bytes = length * sizeof(float);
        if (bytes >= HugePage && OperatingSystem.IsLinux())
        {
            _native = NativeMemory.AlignedAlloc((nuint)bytes, (nuint)HugePage);
            GC.AddMemoryPressure(bytes);
            Pointer = (float*)_native;
            // Only whole huge pages; the tail stays in small pages. A refusal (old kernel, THP off) changes nothing.
            AdviseHugePages(_native, bytes / HugePage * HugePage);
            return;
        }
        _storage = GC.AllocateUninitializedArray<float>((int)length + AlignFloats, pinned: true);
        float* p = (float*)Unsafe.AsPointer(ref _storage[0]);
        nint misalign = (nint)p & 63;
        Pointer = misalign == 0 ? p : (float*)((byte*)p + (64 - misalign));
    }

    ~GemmBuffer()
    {
        if (_native == null) return;
        NativeMemory.AlignedFree(_native);
        GC.RemoveMemoryPressure(Length * sizeof(float));
    }

    private static bool s_noMadvise;

    private static void AdviseHugePages(void* start, long bytes)
    {
        if (s_noMadvise) return;
        try { _ = Madvise((nint)start, (nuint)bytes, MadviseHugePage); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { s_noMadvise = true; }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint address, nuint length, int advice);

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
