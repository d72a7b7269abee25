using System.Diagnostics;

namespace ClipSharp.Distributed;

/// <summary>
/// Wraps a collective and adds up the wall time spent inside its calls and the bytes each rank contributed.
/// The time is transfer plus waiting for slower ranks: what data parallelism costs this rank over computing alone.
/// </summary>
public sealed class MeasuredCollective(ICollective inner) : ICollective
{
    private long _ticks;

    public int Rank => inner.Rank;
    public int Size => inner.Size;

    /// <summary>Seconds spent inside collective calls so far.</summary>
    public double Seconds => (double)Interlocked.Read(ref _ticks) / Stopwatch.Frequency;

    /// <summary>Collective calls so far.</summary>
    public long Calls { get; private set; }

    /// <summary>Bytes this rank sent into the calls (its own part of each gather, reduction or broadcast).</summary>
    public long Bytes { get; private set; }

    public void AllReduceSum(Span<float> values)
    {
        long start = Begin(values.Length * sizeof(float));
        inner.AllReduceSum(values);
        End(start);
    }

    public void AllGather(ReadOnlySpan<float> local, Span<float> all)
    {
        long start = Begin(local.Length * sizeof(float));
        inner.AllGather(local, all);
        End(start);
    }

    public void AllGather(ReadOnlySpan<int> local, Span<int> all)
    {
        long start = Begin(local.Length * sizeof(int));
        inner.AllGather(local, all);
        End(start);
    }

    public void Broadcast(Span<byte> data, int root)
    {
        long start = Begin(data.Length);
        inner.Broadcast(data, root);
        End(start);
    }

    public void Barrier()
    {
        long start = Begin(0);
        inner.Barrier();
        End(start);
    }

    private long Begin(long bytes)
    {
        Calls++;
        Bytes += bytes;
        return Stopwatch.GetTimestamp();
    }

    private void End(long start) => Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - start);
}
