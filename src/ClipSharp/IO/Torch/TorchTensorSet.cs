using ClipSharp.IO.Pickle;

namespace ClipSharp.IO;

/// <summary>
/// Turns named tensor views into a <see cref="StateDict"/>: every view is checked first (inside its
/// storage, no repeated elements, a bounded element count) and the whole load is priced against an
/// allocation budget proportional to the file's size before a byte is converted; then each storage is
/// read once, shared by the tensors that use it, and dropped after its last user, so at most one
/// converted storage beyond the result is alive at a time. A view is copied at most once.
/// </summary>
internal static class TorchTensorSet
{
    /// <summary>float32 bytes any file may make us allocate, whatever its size.</summary>
    public const long BudgetFloorBytes = 64L << 20;

    /// <summary>float32 bytes allowed per byte of file beyond the floor: float16 weights double, each
    /// tensor may be copied out of its storage once, and uint8/bool storages quadruple.</summary>
    public const long BudgetPerFileByte = 8;

    /// <summary>Buffers the model never reads (<c>*.num_batches_tracked</c>): a handful of elements at most.</summary>
    private const int MaxIgnoredElements = 16;

    public static StateDict Materialize(TorchArchive archive, IReadOnlyList<(string Name, TensorRef Tensor)> tensors,
        string format, string detail)
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        var storages = new Dictionary<string, long>(StringComparer.Ordinal);
        long cost = 0;
        foreach (var (name, t) in tensors)
        {
            int count = archive.CheckView(name, t);
            if (name.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && count > MaxIgnoredElements)
                throw new CheckpointException(archive.Path,
                    $"tensor '{name}' has {count} elements; a num_batches_tracked buffer holds 1 (the model never reads it)");
            uses[t.Storage.Key] = uses.GetValueOrDefault(t.Storage.Key) + 1;
            if (storages.TryAdd(t.Storage.Key, t.Storage.Numel)) cost += t.Storage.Numel * 4L;
            cost += count * 4L;
        }
        long budget = BudgetFloorBytes + BudgetPerFileByte * archive.FileLength;
        if (cost > budget)
            throw new CheckpointException(archive.Path,
                $"its tensors would need {cost >> 20} MiB as float32 ({storages.Count} storages, {tensors.Count} tensors) but a {archive.FileLength}-byte file may ask for at most {budget >> 20} MiB; refusing to allocate");
        var result = new StateDict { Source = archive.Path, Format = format, Detail = detail };
        var live = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
        {
            var key = t.Storage.Key;
            if (!live.TryGetValue(key, out var storage))
            {
                storage = archive.ReadStorage(t.Storage);
                live[key] = storage;
            }
            var tensor = TorchArchive.View(t, storage);
            // A storage shared with later tensors must not be handed out as-is (they would alias); a view
            // that View already copied is never copied again.
            if (ReferenceEquals(tensor.Storage, storage) && uses[key] > 1) tensor = tensor.Clone();
            result.Add(name, tensor, t.Storage.DType.Name());
            if (--uses[key] == 0) live.Remove(key);
        }
        return result;
    }
}
