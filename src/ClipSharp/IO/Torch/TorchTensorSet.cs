using ClipSharp.IO.Pickle;

namespace ClipSharp.IO;

/// <summary>
/// Turns named tensor views into a <see cref="StateDict"/>: every view is bounds-checked first, then
/// each storage is read once, shared by the tensors that use it, and dropped after its last user,
/// so at most one converted storage beyond the result is alive at a time.
/// </summary>
internal static class TorchTensorSet
{
    public static StateDict Materialize(TorchArchive archive, IReadOnlyList<(string Name, TensorRef Tensor)> tensors,
        string format, string detail)
    {
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (name, t) in tensors)
        {
            archive.CheckView(name, t);
            uses[t.Storage.Key] = uses.GetValueOrDefault(t.Storage.Key) + 1;
        }
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
            // A storage shared with later tensors must not be handed out as-is (they would alias).
            if (ReferenceEquals(tensor.Storage, storage) && uses[key] > 1) tensor = tensor.Clone();
            result.Add(name, tensor, t.Storage.DType.Name());
            if (--uses[key] == 0) live.Remove(key);
        }
        return result;
    }
}
