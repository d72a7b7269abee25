using System.Runtime.InteropServices;

namespace ClipSharp.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over the ranks of one job. As in MPI, every
/// rank calls the same operations in the same order with the same sizes, and each call returns only when
/// its data has arrived. <see cref="Size"/> 1 is a single process (<see cref="SingleProcess"/>).
/// </summary>
public interface ICollective
{
    /// <summary>This process's rank, 0 ≤ Rank &lt; Size; rank 0 writes checkpoints and logs.</summary>
    int Rank { get; }

    /// <summary>Number of ranks in the job.</summary>
    int Size { get; }

    /// <summary>values[i] ← Σ over ranks of values[i], in place (overwrites).</summary>
    void AllReduceSum(Span<float> values);

    /// <summary>all[r·n .. (r+1)·n) ← rank r's <paramref name="local"/> (n = local.Length; all.Length = Size·n; overwrites).</summary>
    void AllGather(ReadOnlySpan<float> local, Span<float> all);

    /// <inheritdoc cref="AllGather(ReadOnlySpan{float}, Span{float})"/>
    void AllGather(ReadOnlySpan<int> local, Span<int> all);

    /// <summary>data ← rank <paramref name="root"/>'s data (the same length on every rank; overwrites).</summary>
    void Broadcast(Span<byte> data, int root);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}

/// <summary>The one-rank job: reductions and broadcasts leave data as it is, a gather copies.</summary>
public sealed class SingleProcess : ICollective
{
    public static SingleProcess Instance { get; } = new();

    private SingleProcess() { }

    public int Rank => 0;
    public int Size => 1;
    public void AllReduceSum(Span<float> values) { }
    public void AllGather(ReadOnlySpan<float> local, Span<float> all) => Copy(local, all);
    public void AllGather(ReadOnlySpan<int> local, Span<int> all) => Copy(local, all);
    public void Broadcast(Span<byte> data, int root) => CheckRoot(root, 1);
    public void Barrier() { }

    private static void Copy<T>(ReadOnlySpan<T> local, Span<T> all)
    {
        if (all.Length != local.Length) throw new ArgumentException($"gather of {local.Length} values into {all.Length} (one rank)");
        local.CopyTo(all);
    }

    internal static void CheckRoot(int root, int size)
    {
        if ((uint)root >= (uint)size) throw new ArgumentOutOfRangeException(nameof(root), root, $"root must be a rank in [0, {size})");
    }
}

/// <summary>Typed conveniences over <see cref="ICollective.Broadcast"/>.</summary>
public static class CollectiveExtensions
{
    /// <summary>values ← root's values.</summary>
    public static void Broadcast<T>(this ICollective collective, Span<T> values, int root = 0) where T : unmanaged =>
        collective.Broadcast(MemoryMarshal.AsBytes(values), root);

    /// <summary>Rank <paramref name="root"/>'s value of <paramref name="value"/>, on every rank.</summary>
    public static T Broadcast<T>(this ICollective collective, T value, int root = 0) where T : unmanaged
    {
        Span<T> one = [value];
        collective.Broadcast(one, root);
        return one[0];
    }
}
