using ClipSharp.Imaging;

namespace ClipSharp.Training;

/// <summary>
/// A training pair whose image is not decoded yet: <see cref="Decode"/> runs on the batch workers, so a
/// source can hand out pairs cheaply and in order while decoding happens in parallel.
/// </summary>
/// <param name="Name">Names the sample in log lines (a file path, or "shard.tar:key").</param>
public readonly record struct PendingPair(string Name, Func<ImageFrame> Decode, string Caption);

/// <summary>
/// Where a training run's pairs come from, in visiting order. An epoch is the sequence
/// <see cref="Read"/> yields for (seed, epoch); a run's position in it is the number of pairs consumed,
/// so (seed, epoch, position) is all resuming needs.
/// </summary>
public interface IPairSource
{
    /// <summary>Pairs per epoch.</summary>
    int Count { get; }

    /// <summary>The pairs of <paramref name="epoch"/> from <paramref name="position"/> on.</summary>
    IEnumerable<PendingPair> Read(ulong seed, int epoch, int position);
}

/// <summary>A random-access dataset visited in a fresh <see cref="DataOrder"/> permutation each epoch.</summary>
public sealed class ShuffledPairs : IPairSource
{
    private readonly IPairDataset _data;

    public ShuffledPairs(IPairDataset data) => _data = data ?? throw new ArgumentNullException(nameof(data));

    public int Count => _data.Count;

    public IEnumerable<PendingPair> Read(ulong seed, int epoch, int position)
    {
        var order = DataOrder.Permutation(_data.Count, seed, epoch);
        for (int i = position; i < order.Length; i++)
        {
            int index = order[i];
            var (name, caption) = (_data.Describe(index), _data.Caption(index, epoch));
            yield return new PendingPair(name, () => _data.Image(index), caption);
        }
    }
}
