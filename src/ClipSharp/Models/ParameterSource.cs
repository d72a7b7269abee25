using ClipSharp.IO;
using ClipSharp.Tensors;

namespace ClipSharp.Models;

/// <summary>How a freshly created parameter is initialised (the reference's scheme, per tensor).</summary>
public abstract record Init
{
    /// <summary>N(0, std²).</summary>
    public sealed record Normal(double Std) : Init;
    /// <summary>U(−bound, bound).</summary>
    public sealed record Uniform(double Bound) : Init;
    /// <summary>Every element equal to <paramref name="Value"/>.</summary>
    public sealed record Constant(float Value) : Init;

    public static Init Zeros { get; } = new Constant(0f);
    public static Init Ones { get; } = new Constant(1f);

    /// <summary>PyTorch's default for Linear/Conv weights: kaiming_uniform(a=√5) = U(±1/√fan_in).</summary>
    public static Init DefaultWeight(int fanIn) => new Uniform(1.0 / Math.Sqrt(fanIn));

    /// <summary>PyTorch's default for Linear/Conv biases: U(±1/√fan_in).</summary>
    public static Init DefaultBias(int fanIn) => new Uniform(1.0 / Math.Sqrt(fanIn));

    /// <summary>xavier_uniform for a (fanOut, fanIn) matrix (nn.MultiheadAttention's in_proj_weight).</summary>
    public static Init XavierUniform(int fanIn, int fanOut) => new Uniform(Math.Sqrt(6.0 / (fanIn + fanOut)));
}

/// <summary>
/// Supplies each parameter as a model is built, in registration order, by OpenAI/OpenCLIP name.
/// The model never copies: the tensor returned is the one it keeps.
/// </summary>
public interface IParameterSource
{
    /// <summary>The parameter called <paramref name="name"/>, of exactly <paramref name="shape"/>.</summary>
    Tensor Take(string name, int[] shape, Init init);

    /// <summary>Called once the model is built; throws if the source holds tensors the model did not take.</summary>
    void Finish();
}

/// <summary>Parameters from a checkpoint; shapes must match the config exactly and nothing may be left over.</summary>
public sealed class StateDictSource : IParameterSource
{
    private readonly StateDict _sd;
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    /// <summary>Buffers the reference keeps that carry no information for inference.</summary>
    private static readonly string[] IgnoredSuffixes = [".num_batches_tracked"];

    public StateDictSource(StateDict sd) => _sd = sd;

    public Tensor Take(string name, int[] shape, Init init)
    {
        if (!_sd.TryGet(name, out var tensor))
            throw new CheckpointException(_sd.Source, $"missing tensor '{name}' (expected shape {Tensor.FormatShape(shape)})");
        if (shape.Length == 0 && tensor.Length == 1) tensor = tensor.Reshape();  // scalars are saved as () or (1)
        if (!tensor.Shape.AsSpan().SequenceEqual(shape))
            throw new CheckpointException(_sd.Source, $"tensor '{name}' has shape {tensor.ShapeString}, expected {Tensor.FormatShape(shape)} for this architecture");
        _taken.Add(name);
        return tensor.Contiguous();
    }

    public void Finish()
    {
        var unexpected = _sd.Names.Where(n => !_taken.Contains(n) && !IgnoredSuffixes.Any(s => n.EndsWith(s, StringComparison.Ordinal))).ToList();
        if (unexpected.Count > 0)
            throw new CheckpointException(_sd.Source, $"unexpected tensor{(unexpected.Count > 1 ? "s" : "")} not used by the model: {string.Join(", ", unexpected.Take(5).Select(n => $"'{n}' {_sd[n].ShapeString}"))}{(unexpected.Count > 5 ? $" and {unexpected.Count - 5} more" : "")}");
    }
}

/// <summary>Random parameters following the reference's initialisation, reproducible from a seed.</summary>
public sealed class RandomInitSource : IParameterSource
{
    private readonly Random _rng;

    public RandomInitSource(int seed) => _rng = new Random(seed);

    public Tensor Take(string name, int[] shape, Init init)
    {
        var t = new Tensor(shape);
        var data = t.Span;
        switch (init)
        {
            case Init.Constant c:
                data.Fill(c.Value);
                break;
            case Init.Uniform u:
                for (int i = 0; i < data.Length; i++) data[i] = (float)((_rng.NextDouble() * 2 - 1) * u.Bound);
                break;
            case Init.Normal n:
                for (int i = 0; i < data.Length; i++) data[i] = (float)(NextGaussian() * n.Std);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(init), init, "unknown initialiser");
        }
        return t;
    }

    public void Finish() { }

    private double NextGaussian()
    {
        // Box–Muller; 1 − U keeps the logarithm finite.
        double u1 = 1.0 - _rng.NextDouble(), u2 = _rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
