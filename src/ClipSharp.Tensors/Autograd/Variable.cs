namespace ClipSharp.Tensors.Autograd;

/// <summary>
/// A value recorded on a <see cref="Tape"/>: its tensor and, when it requires a gradient, a gradient
/// buffer of the same shape (allocated, zeroed, the first time a backward rule writes to it).
/// Parameters share one persistent buffer across tapes (see <see cref="Gradients"/>), so gradients
/// accumulate over micro-batches until the optimiser zeroes them.
/// </summary>
public sealed class Variable
{
    private Tensor? _grad;

    /// <summary>The forward value.</summary>
    public Tensor Value { get; }

    /// <summary>True when backward rules should compute a gradient for this value.</summary>
    public bool RequiresGrad { get; }

    internal Variable(Tensor value, bool requiresGrad, Tensor? grad = null)
    {
        Value = value;
        RequiresGrad = requiresGrad;
        if (grad is not null && grad.Length != value.Length)
            throw new ArgumentException($"gradient buffer {grad.ShapeString} does not match value {value.ShapeString}");
        _grad = grad;
    }

    /// <summary>The gradient so far, or null when no backward rule has reached this value.</summary>
    public Tensor? Grad => _grad;

    public int[] Shape => Value.Shape;

    public int Length => Value.Length;

    /// <summary>The value's elements (contiguous).</summary>
    public Span<float> Data => Value.Span;

    /// <summary>The gradient buffer for a backward rule to accumulate into; empty when not required.</summary>
    internal Span<float> GradSpan() => RequiresGrad ? (_grad ??= new Tensor(Value.Shape)).Span : default;

    public override string ToString() => $"Variable{Value.ShapeString}{(RequiresGrad ? " (grad)" : "")}";
}

/// <summary>
/// Persistent gradient buffers for trainable parameters, keyed by the parameter tensor itself.
/// A parameter that is not tracked here is treated as a constant (frozen) by <see cref="Tape.Param"/>.
/// </summary>
public sealed class Gradients
{
    private readonly Dictionary<Tensor, Tensor> _grads = new(ReferenceEqualityComparer.Instance);
    private readonly List<Tensor> _order = new();

    /// <summary>Starts tracking <paramref name="parameter"/> with a zero gradient.</summary>
    public void Track(Tensor parameter)
    {
        if (!parameter.IsContiguous) throw new ArgumentException("parameters must be contiguous tensors");
        if (_grads.TryAdd(parameter, new Tensor(parameter.Shape))) _order.Add(parameter);
    }

    /// <summary>True when <paramref name="parameter"/> is trainable; <paramref name="grad"/> is its buffer.</summary>
    public bool TryGet(Tensor parameter, out Tensor grad) => _grads.TryGetValue(parameter, out grad!);

    /// <summary>The gradient of a tracked parameter.</summary>
    public Tensor this[Tensor parameter] => _grads[parameter];

    /// <summary>Tracked parameters in the order they were added.</summary>
    public IReadOnlyList<Tensor> Parameters => _order;

    /// <summary>Sets every gradient to zero.</summary>
    public void Zero()
    {
        foreach (var g in _grads.Values) g.Span.Clear();
    }

    /// <summary>‖g‖₂ over all gradients together (accumulated in double).</summary>
    public double GlobalNorm()
    {
        double sum = 0;
        foreach (var p in _order)
            foreach (var v in _grads[p].Span) sum += (double)v * v;
        return Math.Sqrt(sum);
    }

    /// <summary>Multiplies every gradient by <paramref name="factor"/>.</summary>
    public void Scale(float factor)
    {
        foreach (var g in _grads.Values)
            System.Numerics.Tensors.TensorPrimitives.Multiply(g.Span, factor, g.Span);
    }
}
