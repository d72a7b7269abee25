using System.Collections.Frozen;

namespace ClipSharp.Tensors;

/// <summary>
/// Inference-only copies of layer weights (GEMM-packed float32, or int8) owned by one inference session,
/// never by the layers: a context carrying them (<see cref="ComputeContext.WithWeights"/>) runs those layers
/// on the copies, any other context runs them on the live weights. Two sessions on one model therefore
/// compute at their own precision, and training, which changes the live weights, has nothing to release.
/// Built once, then read-only (safe to share between threads).
/// </summary>
public sealed class InferenceWeights
{
    private readonly FrozenDictionary<object, object> _prepared;

    /// <summary>A name for what the copies are ("fp32-packed", "int8"), for cache keys and messages.</summary>
    public string Kind { get; }

    public InferenceWeights(string kind, IEnumerable<KeyValuePair<object, object>> prepared)
    {
        Kind = kind;
        _prepared = prepared.ToFrozenDictionary(ReferenceEqualityComparer.Instance);
    }

    /// <summary>Number of layers with a prepared copy.</summary>
    public int Count => _prepared.Count;

    /// <summary>The copy prepared for <paramref name="layer"/> (compared by reference), or null.</summary>
    public object? Find(object layer) => _prepared.GetValueOrDefault(layer);
}
