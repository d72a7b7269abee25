using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Dense layers. Letters: R rows (all leading dimensions), I in-features, O out-features.
public sealed partial class Tape
{
    /// <summary>nn.Linear: x (..., I), weight (O, I), bias (O) or null → y (..., O) = x Wᵀ + b.</summary>
    public Variable Linear(Variable x, Variable weight, Variable? bias = null)
    {
        int o = weight.Shape[0], i = weight.Shape[1];
        if (x.Shape[^1] != i) throw new ArgumentException($"linear: input {x.Value.ShapeString} does not end in {i} features");
        int rows = x.Length / i;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = o;
        var y = new Tensor(shape);
        Kernels.Linear.Forward(Context, y.Span, x.Data, weight.Data, bias is null ? default : bias.Data, rows, i, o);
        return Result(y, Needs(x, weight, bias), r =>
            Kernels.Linear.ForwardBackward(Context, G(x), G(weight), G(bias), r.Grad!.Span, x.Data, weight.Data, rows, i, o));
    }

    /// <summary>Projection by a matrix stored (I, O), as CLIP's proj/text_projection: y (..., O) = x · W.</summary>
    public Variable Project(Variable x, Variable w)
    {
        int i = w.Shape[0], o = w.Shape[1];
        if (x.Shape[^1] != i) throw new ArgumentException($"project: input {x.Value.ShapeString} does not end in {i} features");
        int rows = x.Length / i;
        var shape = (int[])x.Shape.Clone();
        shape[^1] = o;
        var y = new Tensor(shape);
        Kernels.Linear.Project(Context, y.Span, x.Data, w.Data, rows, i, o);
        return Result(y, Needs(x, w), r =>
            Kernels.Linear.ProjectBackward(Context, G(x), G(w), r.Grad!.Span, x.Data, w.Data, rows, i, o));
    }

    /// <summary>a (N, E), b (M, E) → a·bᵀ (N, M) (e.g. image-text similarities).</summary>
    public Variable MatMulTransposed(Variable a, Variable b) => Linear(a, b);
}
