using ClipSharp.Distributed;

namespace ClipSharp.Cli;

/// <summary>
/// Whether this process is one rank of an MPI job, read from the environment mpirun gives its ranks
/// (Open MPI: OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_SIZE; PMIx: PMIX_RANK), and the collective for it.
/// libmpi is loaded only here, and only for such a process (or with --mpi): a plain `clipsharp train` never touches it.
/// CLIPSHARP_LIBMPI names another libmpi.so to load.
/// </summary>
internal static class MpiLaunch
{
    public static bool Detected =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    /// <summary>Ranks of this job on this host (1 when unknown).</summary>
    public static int LocalRanks =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int n) && n > 0 ? n : 1;

    /// <summary>Initialises MPI (once per process).</summary>
    public static MpiCollective Start() => MpiCollective.Initialize(Environment.GetEnvironmentVariable("CLIPSHARP_LIBMPI") is { Length: > 0 } lib ? lib : null);
}
