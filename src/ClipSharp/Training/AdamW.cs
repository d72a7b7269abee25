using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;

namespace ClipSharp.Training;

/// <summary>AdamW hyper-parameters (defaults: CLIP's fine-tuning settings in the reference fixture).</summary>
public sealed record AdamWOptions
{
    public double LearningRate { get; init; } = 1e-3;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.98;
    public double Eps { get; init; } = 1e-6;
    /// <summary>Decoupled weight decay for the parameters <see cref="AdamW.DecaysByDefault"/> selects.</summary>
    public double WeightDecay { get; init; } = 0.2;
}

/// <summary>One parameter under optimisation, with its Adam moments.</summary>
public sealed class OptimizedParameter
{
    public string Name { get; }
    public Tensor Value { get; }
    public Tensor Grad { get; }
    public double WeightDecay { get; }
    /// <summary>First moment m (same shape as the parameter).</summary>
    public Tensor ExpAvg { get; }
    /// <summary>Second moment v.</summary>
    public Tensor ExpAvgSq { get; }

    internal OptimizedParameter(string name, Tensor value, Tensor grad, double weightDecay)
    {
        (Name, Value, Grad, WeightDecay) = (name, value, grad, weightDecay);
        ExpAvg = new Tensor(value.Shape);
        ExpAvgSq = new Tensor(value.Shape);
    }

    /// <summary>
    /// For a lookup table updated sparsely: the rows that have ever had a gradient (null until the first
    /// <see cref="AdamW.MarkRows"/>, and rebuilt from the moments after a restore).
    /// </summary>
    internal bool[]? ActiveRows { get; set; }
}

/// <summary>
/// torch.optim.AdamW over named parameters. Weight decay follows CLIP/open_clip: parameters with two or
/// more dimensions whose name contains none of "bn", "ln", "bias", "logit_scale" decay; the rest do not.
/// </summary>
public sealed class AdamW
{
    private readonly List<OptimizedParameter> _parameters = new();

    public AdamWOptions Options { get; }

    /// <summary>Steps taken so far (t in the bias corrections).</summary>
    public long StepCount { get; private set; }

    public IReadOnlyList<OptimizedParameter> Parameters => _parameters;

    /// <param name="parameters">Named trainable parameters; each must be tracked in <paramref name="gradients"/>.</param>
    public AdamW(IEnumerable<KeyValuePair<string, Tensor>> parameters, Gradients gradients, AdamWOptions? options = null)
    {
        Options = options ?? new AdamWOptions();
        foreach (var (name, value) in parameters)
        {
            if (!gradients.TryGet(value, out var grad))
                throw new ArgumentException($"parameter '{name}' has no gradient buffer; track it before creating the optimiser");
            _parameters.Add(new OptimizedParameter(name, value, grad, DecaysByDefault(name, value) ? Options.WeightDecay : 0));
        }
    }

    /// <summary>True when CLIP's recipe applies weight decay to this parameter.</summary>
    public static bool DecaysByDefault(string name, Tensor value) =>
        value.Rank >= 2 && !name.Contains("bn", StringComparison.Ordinal) && !name.Contains("ln", StringComparison.Ordinal)
        && !name.Contains("bias", StringComparison.Ordinal) && !name.Contains("logit_scale", StringComparison.Ordinal);

    /// <summary>Applies one update with learning rate <paramref name="lr"/> (default: the configured one).</summary>
    public void Step(double? lr = null)
    {
        StepCount++;
        double rate = lr ?? Options.LearningRate;
        foreach (var p in _parameters)
        {
            if (p.ActiveRows is { } active)
                Tensors.Kernels.Optimizer.AdamWRows(p.Value.Span, p.ExpAvg.Span, p.ExpAvgSq.Span, p.Grad.Span, p.Value.Shape[1], active,
                    rate, Options.Beta1, Options.Beta2, Options.Eps, p.WeightDecay, StepCount);
            else
                Tensors.Kernels.Optimizer.AdamW(p.Value.Span, p.ExpAvg.Span, p.ExpAvgSq.Span, p.Grad.Span,
                    rate, Options.Beta1, Options.Beta2, Options.Eps, p.WeightDecay, StepCount);
        }
    }

    /// <summary>
    /// Declares that this step's gradient of the (rows, width) table <paramref name="table"/> is zero outside
    /// <paramref name="rows"/> (an embedding looked up at those ids). From then on the table is updated
    /// sparsely: rows that never had a gradient only decay, which is exactly what the dense update does to
    /// them, so the result is bit-identical and a 49,408-row vocabulary costs only the rows in use.
    /// Once called for a table, call it before every step (ClipTrainer.Step does).
    /// </summary>
    public void MarkRows(Tensor table, ReadOnlySpan<int> rows)
    {
        var p = _parameters.Find(q => ReferenceEquals(q.Value, table))
            ?? throw new ArgumentException("the table is not a parameter of this optimiser", nameof(table));
        if (table.Rank != 2) throw new ArgumentException($"sparse rows need a (rows, width) table, got {table.ShapeString}", nameof(table));
        int width = table.Shape[1];
        if (p.ActiveRows is null)
        {
            // Rows with any non-zero moment have had a gradient before (a fresh optimiser has none).
            var active = new bool[table.Shape[0]];
            Span<float> m = p.ExpAvg.Span, v = p.ExpAvgSq.Span;
            for (int r = 0; r < active.Length; r++)
                active[r] = m.Slice(r * width, width).ContainsAnyExcept(0f) || v.Slice(r * width, width).ContainsAnyExcept(0f);
            p.ActiveRows = active;
        }
        foreach (int r in rows) p.ActiveRows[r] = true;
    }

    /// <summary>Restores the step counter (checkpoint resume; the moments are restored through <see cref="Parameters"/>).</summary>
    public void RestoreStepCount(long steps)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps));
        StepCount = steps;
        foreach (var p in _parameters) p.ActiveRows = null;   // rebuilt from the restored moments
    }
}
