namespace ClipSharp.Tensors.Autograd;

/// <summary>
/// Reverse-mode automatic differentiation by recording: each differentiable operation computes its
/// value at once and, when recording and some input requires a gradient, pushes a backward rule.
/// <see cref="Backward"/> runs the rules in reverse order; each rule ACCUMULATES into its inputs'
/// gradients. A tape is used for one forward/backward pass. A tape built with record: false computes
/// values only (no activations are kept), for evaluation and for the first pass of gradient caching.
/// </summary>
public sealed partial class Tape
{
    private readonly List<Action> _rules = new();
    private readonly Gradients? _gradients;
    private readonly Dictionary<Tensor, Variable> _params = new(ReferenceEqualityComparer.Instance);

    /// <summary>Where the kernels run.</summary>
    public ComputeContext Context { get; }

    /// <summary>False for a values-only tape.</summary>
    public bool IsRecording { get; }

    /// <summary>
    /// Whether BatchNorm layers in training mode update their running statistics on this pass
    /// (true by default; gradient caching turns it off for the recomputation pass).
    /// </summary>
    public bool UpdateRunningStatistics { get; init; } = true;

    /// <param name="context">Threads and instruction set for the kernels.</param>
    /// <param name="gradients">Trainable parameters and their gradient buffers (null: all constant).</param>
    /// <param name="record">False for a values-only pass.</param>
    public Tape(ComputeContext context, Gradients? gradients = null, bool record = true)
    {
        Context = context;
        _gradients = gradients;
        IsRecording = record;
    }

    /// <summary>Number of backward rules recorded so far.</summary>
    public int RecordedCount => _rules.Count;

    /// <summary>A model parameter: trainable (sharing its persistent gradient) when tracked in the tape's <see cref="Gradients"/>, else constant.</summary>
    public Variable Param(Tensor parameter)
    {
        if (_params.TryGetValue(parameter, out var v)) return v;
        v = _gradients is not null && _gradients.TryGet(parameter, out var grad)
            ? new Variable(parameter, IsRecording, grad)
            : new Variable(parameter, false);
        _params[parameter] = v;
        return v;
    }

    /// <summary>A value that needs no gradient (inputs, targets).</summary>
    public Variable Constant(Tensor value) => new(value.Contiguous(), false);

    /// <summary>A leaf that collects its own gradient (e.g. cached embeddings).</summary>
    public Variable Leaf(Tensor value) => new(value.Contiguous(), IsRecording);

    /// <summary>
    /// Runs the recorded rules backwards from <paramref name="output"/>, seeding its gradient with
    /// <paramref name="seed"/> (same length) or with 1 for a one-element output. Clears the tape.
    /// </summary>
    public void Backward(Variable output, Tensor? seed = null)
    {
        if (!IsRecording) throw new InvalidOperationException("this tape was created with record: false; nothing to differentiate");
        if (!output.RequiresGrad) throw new InvalidOperationException("the output does not depend on any trainable value");
        var grad = output.GradSpan();
        if (seed is null)
        {
            if (output.Length != 1) throw new ArgumentException($"output {output.Value.ShapeString} is not a scalar; pass a seed gradient");
            grad[0] += 1f;
        }
        else
        {
            if (seed.Length != output.Length) throw new ArgumentException($"seed {seed.ShapeString} does not match output {output.Value.ShapeString}");
            System.Numerics.Tensors.TensorPrimitives.Add(grad, seed.Contiguous().Span, grad);
        }
        for (int i = _rules.Count - 1; i >= 0; i--) _rules[i]();
        _rules.Clear();
    }

    /// <summary>True when the op's result needs a gradient (recording, and some input requires one).</summary>
    private bool Needs(Variable a) => IsRecording && a.RequiresGrad;
    private bool Needs(Variable a, Variable? b) => IsRecording && (a.RequiresGrad || b is { RequiresGrad: true });
    private bool Needs(Variable a, Variable? b, Variable? c) => IsRecording && (a.RequiresGrad || b is { RequiresGrad: true } || c is { RequiresGrad: true });

    /// <summary>Creates the result variable and, when it needs a gradient, records its rule (which runs only if a gradient reached it).</summary>
    private Variable Result(Tensor value, bool needsGrad, Action<Variable>? rule)
    {
        var result = new Variable(value, needsGrad);
        if (needsGrad && rule is not null) _rules.Add(() => { if (result.Grad is not null) rule(result); });
        return result;
    }

    private static Span<float> G(Variable? v) => v is null ? default : v.GradSpan();
}
