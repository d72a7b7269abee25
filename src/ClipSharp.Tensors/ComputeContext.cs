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

    /// <summary>The inference session's prepared weight copies, when this context runs one (null: live weights).</summary>
    public InferenceWeights? Weights { get; init; }

    /// <summary>
    /// Where a forward pass borrows its short-lived activations (<see cref="Rent"/>): fresh, a large batch's
    /// hundreds of MB per call cost page faults and gen-2 collections. The shared pool unless the caller gives one.
    /// </summary>
    public System.Buffers.ArrayPool<float> Pool { get; init; } = System.Buffers.ArrayPool<float>.Shared;

    /// <summary>The same threads, instruction set, tap and pool, running layers on <paramref name="weights"/>.</summary>
    public ComputeContext WithWeights(InferenceWeights? weights) => new(Threads, Isa) { Tap = Tap, Weights = weights, Pool = Pool };

    /// <summary>
    /// An uninitialised tensor on an array from <see cref="Pool"/>. Its owner hands it back with <see cref="Return"/>
    /// once the last reader is done; one never handed back is simply collected.
    /// </summary>
    public Tensor Rent(params int[] shape) => Tensor.Rent(Pool, shape);

    /// <summary>Gives a tensor from <see cref="Rent"/> (or a view starting at its first element) back to <see cref="Pool"/>.</summary>
    public void Return(Tensor rented)
    {
        if (rented.Offset != 0) throw new ArgumentException("only a rented tensor (offset 0) goes back to the pool", nameof(rented));
        Pool.Return(rented.Storage);
    }

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
    private WorkerTeam? _team;

    /// <summary>A single-threaded context with the same instruction set, for work nested inside <see cref="For"/>.</summary>
    public ComputeContext Serial => Threads == 1 ? this : _serial ??= new ComputeContext(1, Isa) { Weights = Weights, Pool = Pool };

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
        if ((_team ??= WorkerTeam.For(Threads)).TryRun(count, body)) return;
        // The team is busy (another caller, or a For nested inside one): the thread pool serves instead.
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }
}

/// <summary>
/// Threads - 1 dedicated workers plus the caller, shared by every context with that thread count. A
/// loop's indices are handed out one at a time from a shared counter (so a slow index delays the end by
/// at most itself); the caller never waits for a worker that has not joined yet; and between loops the
/// workers spin briefly before sleeping, because a forward pass runs a hundred short loops back to back.
/// </summary>
internal sealed class WorkerTeam
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, WorkerTeam> Teams = new();
    [ThreadStatic] private static bool t_inTeam;

    /// <summary>How long an idle worker watches for the next loop before it sleeps.</summary>
    private static readonly TimeSpan SpinTime = TimeSpan.FromMilliseconds(0.2);

    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private Action<int>? _body;
    private int _count, _next, _generation, _sleepers, _active;
    private volatile bool _closed = true;
    private Exception? _error;

    public static WorkerTeam For(int threads) => Teams.GetOrAdd(threads, t => new WorkerTeam(t));

    private WorkerTeam(int threads)
    {
        for (int i = 0; i < threads - 1; i++)
            new Thread(Work) { IsBackground = true, Name = $"ClipSharp worker {i + 1}/{threads - 1}" }.Start();
    }

    /// <summary>Runs body(0..count-1) on the team and the caller; false if the team is busy or this is a nested loop.</summary>
    public bool TryRun(int count, Action<int> body)
    {
        if (t_inTeam || !Monitor.TryEnter(_gate)) return false;
        try
        {
            (_body, _count, _next, _error) = (body, count, 0, null);
            _closed = false;                          // last: a worker that sees it open finds the loop set up
            Interlocked.Increment(ref _generation);
            int sleeping = Volatile.Read(ref _sleepers);
            if (sleeping > 0) _wake.Release(sleeping);
            Drain();
            _closed = true;                           // workers arriving from now on skip this loop
            // A full fence between closing and counting (Dekker's pattern with the worker's increment of _active, itself a
            // fence, before it reads _closed): without it the store could wait in the store buffer while _active reads 0,
            // a worker then joined the closed loop, and ran the next loop's indices with this loop's body cleared.
            Interlocked.MemoryBarrier();
            var spin = new SpinWait();
            while (Volatile.Read(ref _active) > 0) spin.SpinOnce(sleep1Threshold: -1);
            _body = null;
            if (_error is { } error) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
            return true;
        }
        finally { Monitor.Exit(_gate); }
    }

    private void Drain()
    {
        t_inTeam = true;
        try
        {
            var body = _body!;
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            {
                try { body(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref _error, e, null); Volatile.Write(ref _next, _count); }
            }
        }
        finally { t_inTeam = false; }
    }

    private void Work()
    {
        int seen = 0;
        while (true)
        {
            long idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _generation) == seen)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(idleSince) < SpinTime) { spin.SpinOnce(sleep1Threshold: -1); continue; }
                Interlocked.Increment(ref _sleepers);
                if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                Interlocked.Decrement(ref _sleepers);
                idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
            }
            seen = Volatile.Read(ref _generation);
            Interlocked.Increment(ref _active);       // a full fence before reading _closed (see TryRun)
            if (!_closed) Drain();
            Interlocked.Decrement(ref _active);
        }
    }
}
