namespace ClipSharp.IO.Pickle;

// The inert values the restricted unpickler builds. Python ints become long (at most 64-bit; wider ones are refused), floats
// double, str string, bytes byte[], None null, bool bool, list List<object?>; everything else below.
// Nothing here can run code: these are plain data holders.

/// <summary>A Python tuple.</summary>
internal sealed class PyTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
    public override string ToString() => $"tuple({Items.Length})";
}

/// <summary>A Python dict or collections.OrderedDict: insertion-ordered, keys compared by value.</summary>
internal sealed class PyDict
{
    private readonly List<KeyValuePair<object, object?>> _items = new();
    private readonly Dictionary<object, int> _index = new(SeededKeyComparer.Instance);

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;
    public int Count => _items.Count;

    public void Set(object? key, object? value)
    {
        key ??= NoneKey.Instance;
        if (_index.TryGetValue(key, out int at)) _items[at] = new(key, value);
        else
        {
            _index[key] = _items.Count;
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(string key, out object? value)
    {
        if (_index.TryGetValue(key, out int at))
        {
            value = _items[at].Value;
            return true;
        }
        value = null;
        return false;
    }

    public override string ToString() => $"dict({_items.Count})";

    private sealed class NoneKey
    {
        public static readonly NoneKey Instance = new();
        public override string ToString() => "None";
    }
}

/// <summary>What an allowed global stands for. Only these can appear in a pickle we read.</summary>
internal enum GlobalKind
{
    /// <summary>torch._utils._rebuild_tensor_v2 / _rebuild_tensor: builds a <see cref="TensorRef"/>.</summary>
    RebuildTensor,
    /// <summary>torch._utils._rebuild_parameter(_with_state): returns its tensor argument.</summary>
    RebuildParameter,
    /// <summary>torch._tensor._rebuild_from_type_v2(func, type, args, state): applies func to args.</summary>
    RebuildFromType,
    /// <summary>collections.OrderedDict: an empty <see cref="PyDict"/>.</summary>
    OrderedDict,
    /// <summary>torch.HalfStorage etc.: only a tag inside a persistent id.</summary>
    StorageType,
    /// <summary>torch.Tensor, torch.nn.parameter.Parameter: only a tag for RebuildFromType.</summary>
    TensorType,
    /// <summary>A TorchScript class (__torch__.*): NEWOBJ makes an inert <see cref="PyObject"/> attribute bag.</summary>
    ScriptClass,
    /// <summary>torch.jit._pickle.build_intlist and friends, restore_type_tag: return their first argument.</summary>
    JitIdentity,
}

/// <summary>A resolved module-level name from the allow-list.</summary>
internal sealed record PyGlobal(string Module, string Name, GlobalKind Kind, DType StorageDType = default)
{
    public string FullName => $"{Module}.{Name}";
    public override string ToString() => FullName;
}

/// <summary>An instance of a TorchScript class: its class name and attributes, nothing else.</summary>
internal sealed class PyObject(string className)
{
    public string ClassName { get; } = className;
    public PyDict Attributes { get; set; } = new();
    public override string ToString() => $"<{ClassName}>";
}

/// <summary>A storage named by a persistent id: <c>('storage', cls, key, location, numel)</c>.</summary>
internal sealed record StorageRef(DType DType, string Key, string Location, long Numel);

/// <summary>A tensor view of a storage: element offset, shape and strides (in elements).</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, int[] Shape, long[] Strides);

/// <summary>
/// Hashes 64-bit integers with the process's random seed (<see cref="HashCode"/>), so a pickle cannot pick
/// memo keys that all collide (long.GetHashCode is lo ^ hi: (i &lt;&lt; 32 | i) is 0 for every i) and turn
/// n PUTs into n² work.
/// </summary>
internal sealed class SeededLongComparer : IEqualityComparer<long>
{
    public static readonly SeededLongComparer Instance = new();
    public bool Equals(long x, long y) => x == y;
    // Both halves go into the seeded mix: HashCode.Combine(v) would first fold v with long.GetHashCode and keep its collisions.
    public int GetHashCode(long v) => HashCode.Combine((int)v, (int)(v >> 32));
}

/// <summary>Dict keys compared by value; numbers hashed with the process's random seed (see <see cref="SeededLongComparer"/>).</summary>
internal sealed class SeededKeyComparer : IEqualityComparer<object>
{
    public static readonly SeededKeyComparer Instance = new();
    public new bool Equals(object? x, object? y) => object.Equals(x, y);
    public int GetHashCode(object o) => o switch
    {
        long l => SeededLongComparer.Instance.GetHashCode(l),
        double d => d == 0 ? 0 : SeededLongComparer.Instance.GetHashCode(BitConverter.DoubleToInt64Bits(d)), // 0.0 equals -0.0
        _ => o.GetHashCode(), // strings are already seeded; tuples and objects hash by reference
    };
}
