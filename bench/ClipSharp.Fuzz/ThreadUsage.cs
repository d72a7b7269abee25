using System.Runtime.InteropServices;

namespace ClipSharp.Fuzz;

/// <summary>CPU time of the calling thread (getrusage RUSAGE_THREAD on Linux; process time elsewhere).</summary>
internal static partial class ThreadUsage
{
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSec, UserUsec, SysSec, SysUsec;
        public long MaxRss, IxRss, IdRss, IsRss, MinFlt, MajFlt, NSwap, InBlock, OuBlock, MsgSnd, MsgRcv, NSignals, NVCsw, NIvCsw;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrusage(int who, out RUsage usage);

    private static readonly bool Linux = OperatingSystem.IsLinux();

    public static double CpuSeconds()
    {
        if (Linux && getrusage(1, out var u) == 0)
            return u.UserSec + u.SysSec + (u.UserUsec + u.SysUsec) / 1e6;
        return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Peak resident set of this process in MiB (VmHWM), or 0 when unknown.</summary>
    public static double PeakRssMib()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:"))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (IOException) { }
        return 0;
    }
}
