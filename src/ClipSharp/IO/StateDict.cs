using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>
/// Named parameters read from a checkpoint, in file order, with OpenAI/OpenCLIP names
/// (visual.conv1.weight, transformer.resblocks.0.attn.in_proj_weight, ...), converted to float32.
/// </summary>
public sealed class StateDict
{
    private readonly List<string> _order = new();
    private readonly Dictionary<string, Tensor> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _dtypes = new(StringComparer.Ordinal);

    /// <summary>Where the tensors came from (file or directory).</summary>
    public string Source { get; init; } = "";

    /// <summary>What format the loader detected: "safetensors", "pytorch-zip", "torchscript",
    /// "hf-safetensors" or "hf-pytorch".</summary>
    public string Format { get; init; } = "";

    /// <summary>What the loader found and did, e.g. "torch.save state_dict; 'module.' prefix stripped".</summary>
    public string Detail { get; init; } = "";

    /// <summary>String metadata from the file (safetensors <c>__metadata__</c>); empty when none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The parsed config.json when the checkpoint was a Hugging Face CLIPModel directory.</summary>
    public HfClipConfig? HfConfig { get; init; }

    private readonly List<string> _warnings = new();

    /// <summary>
    /// What the loader noticed but did not refuse, one line each (e.g. weights holding NaN or Inf).
    /// Callers show these once: the CLI prints them to stderr.
    /// </summary>
    public IReadOnlyList<string> Warnings => _warnings;

    internal void AddWarning(string message) => _warnings.Add(message);

    /// <summary>Names of the tensors holding NaN or Inf (filled by <see cref="CheckpointLoader.Load"/>).</summary>
    public IReadOnlyList<string> NonFiniteTensors { get; internal set; } = [];

    /// <summary>Tensors holding NaN or ±Inf, in file order, with how many of each.</summary>
    public IReadOnlyList<(string Name, int NaN, int Infinite)> FindNonFinite()
    {
        var result = new List<(string, int, int)>();
        foreach (var name in _order)
        {
            var t = _tensors[name].Contiguous();
            int nan = 0, inf = 0;
            foreach (float v in t.Span)
            {
                if (float.IsFinite(v)) continue;
                if (float.IsNaN(v)) nan++;
                else inf++;
            }
            if (nan + inf > 0) result.Add((name, nan, inf));
        }
        return result;
    }

    /// <summary>Names in file order.</summary>
    public IReadOnlyList<string> Names => _order;

    public int Count => _order.Count;

    public bool Contains(string name) => _tensors.ContainsKey(name);

    /// <summary>Adds a tensor; <paramref name="storedDtype"/> is the dtype in the file (F16, BF16, F32, ...).</summary>
    public void Add(string name, Tensor value, string storedDtype)
    {
        if (!_tensors.TryAdd(name, value))
            throw new CheckpointException(Source, $"tensor '{name}' appears twice");
        _order.Add(name);
        _dtypes[name] = storedDtype;
    }

    /// <summary>The tensor called <paramref name="name"/>; a clear error naming the file when absent.</summary>
    public Tensor this[string name] => _tensors.TryGetValue(name, out var t)
        ? t
        : throw new CheckpointException(Source, $"missing tensor '{name}'");

    public bool TryGet(string name, out Tensor tensor) => _tensors.TryGetValue(name, out tensor!);

    /// <summary>The dtype the tensor was stored in.</summary>
    public string StoredDtype(string name) => _dtypes[name];

    /// <summary>
    /// One line saying what was loaded, e.g.
    /// "pytorch-zip (torch.save state_dict), 152 tensors, F16" or "safetensors, 142 tensors, F16 ×122 + I64 ×20".
    /// </summary>
    public string Describe()
    {
        var groups = _order.GroupBy(n => _dtypes[n]).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        string dtypes = groups.Count switch
        {
            0 => "no dtype",
            1 => groups[0].Key,
            _ => string.Join(" + ", groups.Select(g => $"{g.Key} ×{g.Count()}")),
        };
        var what = string.IsNullOrEmpty(Detail) ? Format : $"{Format} ({Detail})";
        return $"{what}, {Count} tensors, {dtypes}";
    }

    /// <summary>Total number of elements over all tensors.</summary>
    public long ParameterCount => _order.Sum(n => (long)_tensors[n].Length);

    /// <summary>Removes and returns a tensor (loaders use this to find unexpected leftovers).</summary>
    public bool Remove(string name)
    {
        if (!_tensors.Remove(name)) return false;
        _order.Remove(name);
        _dtypes.Remove(name);
        return true;
    }
}

/// <summary>A checkpoint could not be read or does not match the model; the message names the file and key.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>The file or directory at fault.</summary>
    public new string Source { get; }

    public CheckpointException(string source, string message, Exception? inner = null)
        : base($"{source}: {message}", inner)
    {
        Source = source;
    }
}
