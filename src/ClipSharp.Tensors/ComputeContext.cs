namespace ClipSharp.Tensors;

/// <summary>Instruction sets a kernel may use; lower levels are for testing fallbacks.</summary>
public enum IsaLevel
{
    /// <summary>Plain scalar C# (the reference).</summary>
    Scalar,
    /// <summary>Portable Vector128 / Vector&lt;T&gt; code.</summary>
    Vector128,
    /// <summary>AVX2 + FMA.</summary>
    Avx2,
    /// <summary>AVX-512F (+BW/VL where used).</summary>
    Avx512,
}

/// <summary>
/// Everything a kernel needs to know about where it runs: thread count, the highest instruction set
/// it may use, and an optional debug tap. Passed explicitly; no kernel reads global state.
/// Results do not depend on <see cref="Threads"/>: work is split so each output is computed by one
/// thread in a fixed order.
/// </summary>
public sealed class ComputeContext
{
    /// <summary>Number of worker threads (at least 1).</summary>
    public int Threads { get; }

    /// <summary>Highest instruction set kernels may use (clamped to what the CPU supports).</summary>
    public IsaLevel Isa { get; }

    /// <summary>Receives intermediates as ("{name}_{layer}", tensor) when set.</summary>
    public Action<string, Tensor>? Tap { get; init; }

    public ComputeContext(int threads, IsaLevel? isa = null)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "need at least one thread");
        Threads = threads;
        var best = DetectIsa();
        Isa = isa is { } requested && requested < best ? requested : best;
    }

    /// <summary>All cores, best instruction set.</summary>
    public static ComputeContext Default { get; } = new(Environment.ProcessorCount);

    /// <summary>One thread, best instruction set.</summary>
    public static ComputeContext SingleThreaded { get; } = new(1);

    /// <summary>The best instruction set this process may use (respects DOTNET_EnableAVX512=0 etc.).</summary>
    public static IsaLevel DetectIsa()
    {
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return IsaLevel.Avx512;
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported && System.Runtime.Intrinsics.X86.Fma.IsSupported) return IsaLevel.Avx2;
        if (System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated) return IsaLevel.Vector128;
        return IsaLevel.Scalar;
    }

    private ComputeContext? _serial;

    /// <summary>A single-threaded context with the same instruction set, for work nested inside <see cref="For"/>.</summary>
    public ComputeContext Serial => Threads == 1 ? this : _serial ??= new ComputeContext(1, Isa);

    /// <summary>Invoke the tap, if any.</summary>
    public void Observe(string name, Tensor value) => Tap?.Invoke(name, value);

    /// <summary>
    /// Run <paramref name="body"/> for every index in [0, count) on up to <see cref="Threads"/>
    /// threads. Each index runs exactly once; callers make each index own disjoint outputs.
    /// </summary>
    public void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (Threads == 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }
}
