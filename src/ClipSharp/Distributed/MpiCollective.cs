using System.Runtime.InteropServices;

namespace ClipSharp.Distributed;

/// <summary>
/// <see cref="ICollective"/> over Open MPI's C API (libmpi.so.40, as Debian's openmpi-bin ships it), bound
/// at run time: nothing loads libmpi until <see cref="Initialize"/>, so a process not started by mpirun never
/// needs it. In Open MPI the predefined handles are the addresses of exported globals (MPI_COMM_WORLD is
/// &amp;ompi_mpi_comm_world, MPI_FLOAT &amp;ompi_mpi_float, MPI_SUM &amp;ompi_mpi_op_sum, …) and MPI_IN_PLACE is
/// (void*)1; they are looked up with <see cref="NativeLibrary.GetExport"/>. The MPI.NET package cannot be
/// used instead: it is bound to MS-MPI's ABI (msmpi.dll, integer handles such as 0x44000000).
/// One instance per process; the thread level is MPI_THREAD_SERIALIZED (any thread may call, one at a time).
/// </summary>
public sealed unsafe class MpiCollective : ICollective, IDisposable
{
    /// <summary>The sonames tried when no library path is given.</summary>
    public static IReadOnlyList<string> DefaultLibraries { get; } = ["libmpi.so.40", "libmpi.so"];

    private const int Success = 0;
    private const int ThreadSerialized = 2;
    private const int MaxCount = 1 << 28;            // elements per call (MPI counts are int)
    private static readonly void* InPlace = (void*)1;  // Open MPI's MPI_IN_PLACE

    private static int s_created;

    private readonly nint _library, _world, _float, _int, _byte, _sum;
    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<nint, int*, int> _commRank, _commSize;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> _allgather;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;
    private readonly delegate* unmanaged<int> _finalize;
    private bool _finalized;

    public int Rank { get; }
    public int Size { get; }

    /// <summary>The library that was loaded (a path or soname).</summary>
    public string Library { get; }

    private MpiCollective(string library, nint handle)
    {
        (Library, _library) = (library, handle);
        nint F(string name) => NativeLibrary.TryGetExport(handle, name, out var address)
            ? address : throw new DllNotFoundException($"{library} has no symbol '{name}': is it Open MPI's libmpi (ABI 40)?");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)F("MPI_Init_thread");
        _commRank = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)F("MPI_Allreduce");
        _allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)F("MPI_Allgather");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)F("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)F("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)F("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        (_world, _float, _int, _byte, _sum) = (F("ompi_mpi_comm_world"), F("ompi_mpi_float"), F("ompi_mpi_int"), F("ompi_mpi_byte"), F("ompi_mpi_op_sum"));

        int provided;
        Check(_initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized)
            throw new InvalidOperationException($"{library}: MPI_Init_thread provided thread level {provided}, need MPI_THREAD_SERIALIZED ({ThreadSerialized})");
        int rank, size;
        Check(_commRank(_world, &rank), "MPI_Comm_rank");
        Check(_commSize(_world, &size), "MPI_Comm_size");
        (Rank, Size) = (rank, size);
    }

    /// <summary>
    /// Loads libmpi (<paramref name="library"/>, or the first of <see cref="DefaultLibraries"/> that loads) and
    /// calls MPI_Init_thread. Call once per process, in a process started by mpirun (a singleton is a job of one).
    /// </summary>
    /// <exception cref="DllNotFoundException">No Open MPI library could be loaded.</exception>
    public static MpiCollective Initialize(string? library = null)
    {
        if (Interlocked.Exchange(ref s_created, 1) != 0) throw new InvalidOperationException("MPI is initialised once per process; reuse the first MpiCollective");
        var candidates = library is null ? DefaultLibraries : [library];
        foreach (var name in candidates)
            if (NativeLibrary.TryLoad(name, out var handle)) return new MpiCollective(name, handle);
        Interlocked.Exchange(ref s_created, 0);
        throw new DllNotFoundException($"cannot load Open MPI ({string.Join(" or ", candidates)}): install openmpi-bin and libopenmpi-dev (Debian), or set the library path");
    }

    public void AllReduceSum(Span<float> values)
    {
        ThrowIfFinalized();
        fixed (float* p = values)
            for (int at = 0; at < values.Length; at += MaxCount)
                Check(_allreduce(InPlace, p + at, Math.Min(MaxCount, values.Length - at), _float, _sum, _world), "MPI_Allreduce");
    }

    public void AllGather(ReadOnlySpan<float> local, Span<float> all)
    {
        CheckGather(local.Length, all.Length);
        fixed (float* send = local) fixed (float* receive = all)
            Check(_allgather(send, local.Length, _float, receive, local.Length, _float, _world), "MPI_Allgather");
    }

    public void AllGather(ReadOnlySpan<int> local, Span<int> all)
    {
        CheckGather(local.Length, all.Length);
        fixed (int* send = local) fixed (int* receive = all)
            Check(_allgather(send, local.Length, _int, receive, local.Length, _int, _world), "MPI_Allgather");
    }

    public void Broadcast(Span<byte> data, int root)
    {
        ThrowIfFinalized();
        SingleProcess.CheckRoot(root, Size);
        fixed (byte* p = data)
            for (int at = 0; at < data.Length; at += MaxCount)
                Check(_bcast(p + at, Math.Min(MaxCount, data.Length - at), _byte, root, _world), "MPI_Bcast");
    }

    public void Barrier()
    {
        ThrowIfFinalized();
        Check(_barrier(_world), "MPI_Barrier");
    }

    /// <summary>
    /// Ends every rank of the job with <paramref name="exitCode"/> (MPI_Abort): for a failure on one rank,
    /// whose peers would otherwise wait in their next collective. Does not return.
    /// </summary>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        _abort(_world, exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>MPI_Finalize (collective: call it on every rank, after the last collective).</summary>
    public void Dispose()
    {
        if (_finalized) return;
        _finalized = true;
        Check(_finalize(), "MPI_Finalize");
    }

    private void CheckGather(int local, int all)
    {
        ThrowIfFinalized();
        if ((long)local * Size != all) throw new ArgumentException($"gather of {local} values from {Size} ranks into {all}");
        if (local > MaxCount) throw new ArgumentOutOfRangeException(nameof(local), local, $"at most {MaxCount} values per rank in one gather");
    }

    private void ThrowIfFinalized() => ObjectDisposedException.ThrowIf(_finalized, this);

    private void Check(int code, string call)
    {
        if (code != Success) throw new InvalidOperationException($"{call} failed with MPI error {code} ({Library}, rank {Rank})");
    }
}
