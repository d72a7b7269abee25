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
            Tensors.Kernels.Optimizer.AdamW(p.Value.Span, p.ExpAvg.Span, p.ExpAvgSq.Span, p.Grad.Span,
                rate, Options.Beta1, Options.Beta2, Options.Eps, p.WeightDecay, StepCount);
    }

    /// <summary>Restores the step counter (checkpoint resume; the moments are restored through <see cref="Parameters"/>).</summary>
    public void RestoreStepCount(long steps)
    {
        if (steps < 0) throw new ArgumentOutOfRangeException(nameof(steps));
        StepCount = steps;
    }
}
