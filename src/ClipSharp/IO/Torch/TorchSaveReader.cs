using ClipSharp.IO.Pickle;

namespace ClipSharp.IO;

/// <summary>
/// Reads a torch.save zip checkpoint holding a state_dict: either the dict itself or one nested
/// under "state_dict", "model", "model_state_dict", "module" or "ema" (OpenCLIP training checkpoints,
/// DataParallel wrappers). A leading "module." or "_orig_mod." on every name is stripped.
/// Non-tensor entries of the state_dict (e.g. _extra_state) are skipped.
/// </summary>
internal static class TorchSaveReader
{
    private static readonly string[] NestedKeys = ["state_dict", "model", "model_state_dict", "module", "ema", "state_dict_ema"];
    private static readonly string[] WrapperPrefixes = ["module.", "_orig_mod."];

    public static StateDict Load(TorchArchive archive)
    {
        var root = archive.Unpickle("data.pkl", PickleMode.TorchSave);
        var notes = new List<string>();
        var dict = FindStateDict(archive.Path, root, notes, depth: 0);
        var tensors = new List<(string, TensorRef)>();
        int skipped = 0;
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw new CheckpointException(archive.Path, $"state_dict key {Unpickler.Describe(key)}; expected a string");
            if (value is TensorRef t) tensors.Add((name, t));
            else skipped++;
        }
        if (tensors.Count == 0)
            throw new CheckpointException(archive.Path, "the state_dict holds no tensors");
        if (skipped > 0) notes.Add($"{skipped} non-tensor entries skipped");
        foreach (var prefix in WrapperPrefixes)
        {
            if (tensors.All(t => t.Item1.StartsWith(prefix, StringComparison.Ordinal)))
            {
                tensors = tensors.Select(t => (t.Item1[prefix.Length..], t.Item2)).ToList();
                notes.Add($"'{prefix}' prefix stripped");
            }
        }
        var detail = "torch.save state_dict" + (notes.Count > 0 ? "; " + string.Join("; ", notes) : "");
        return TorchTensorSet.Materialize(archive, tensors, "pytorch-zip", detail);
    }

    private static PyDict FindStateDict(string path, object? node, List<string> notes, int depth)
    {
        if (node is not PyDict dict)
            throw new CheckpointException(path, $"data.pkl holds {Unpickler.Describe(node)}; expected a dict of tensors (a state_dict)");
        if (dict.Items.Any(kv => kv.Value is TensorRef)) return dict;
        if (depth < 3)
        {
            foreach (var key in NestedKeys)
            {
                if (dict.TryGet(key, out var inner) && inner is PyDict)
                {
                    notes.Add($"state_dict under '{key}'");
                    return FindStateDict(path, inner, notes, depth + 1);
                }
            }
        }
        var keys = string.Join(", ", dict.Items.Take(10).Select(kv => Unpickler.Describe(kv.Key)));
        throw new CheckpointException(path,
            $"data.pkl holds a dict without tensors (keys: {keys}); expected a state_dict or one under {string.Join("/", NestedKeys)}");
    }
}
