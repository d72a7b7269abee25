using ClipSharp.Tensors;

namespace ClipSharp.Models;

/// <summary>
/// Registers parameters explicitly and in order as modules are built: each module asks for its
/// tensors by (OpenAI/OpenCLIP) name, and the builder keeps the ordered list for saving and training.
/// </summary>
public sealed class ParameterBuilder
{
    private readonly IParameterSource _source;
    private readonly List<KeyValuePair<string, Tensor>> _parameters = new();

    public ParameterBuilder(IParameterSource source) => _source = source;

    /// <summary>Parameters in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Parameters => _parameters;

    public Tensor Take(string name, int[] shape, Init init)
    {
        var t = _source.Take(name, shape, init);
        _parameters.Add(new(name, t));
        return t;
    }

    /// <summary>Checks that the source has nothing left over.</summary>
    public void Finish() => _source.Finish();
}
