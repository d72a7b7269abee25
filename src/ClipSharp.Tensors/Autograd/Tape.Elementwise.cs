using System.Numerics.Tensors;
using ClipSharp.Tensors.Kernels;

namespace ClipSharp.Tensors.Autograd;

// Elementwise operations, broadcasting adds and shape changes.
public sealed partial class Tape
{
    /// <summary>y = a + b (same length; y takes a's shape). The residual connection.</summary>
    public Variable Add(Variable a, Variable b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"add: {a.Value.ShapeString} and {b.Value.ShapeString} differ in size");
        var y = new Tensor(a.Shape);
        TensorPrimitives.Add(a.Data, b.Data, y.Span);
        return Result(y, Needs(a, b), r =>
        {
            var dy = r.Grad!.Span;
            if (a.RequiresGrad) TensorPrimitives.Add(G(a), dy, G(a));
            if (b.RequiresGrad) TensorPrimitives.Add(G(b), dy, G(b));
        });
    }

    /// <summary>
    /// y = x + v with v repeated over x's leading elements (x.Length a multiple of v.Length), e.g.
    /// x (B, T, C) + positional embedding (T, C). dv += Σ over the repeats of dy.
    /// </summary>
    public Variable AddBroadcast(Variable x, Variable v)
    {
        int block = v.Length;
        if (block == 0 || x.Length % block != 0) throw new ArgumentException($"add: cannot broadcast {v.Value.ShapeString} over {x.Value.ShapeString}");
        var y = new Tensor(x.Shape);
        x.Data.CopyTo(y.Span);
        Kernels.Linear.AddRowVector(y.Span, v.Data, x.Length / block, block);
        return Result(y, Needs(x, v), r =>
        {
            var dy = r.Grad!.Span;
            if (x.RequiresGrad) TensorPrimitives.Add(G(x), dy, G(x));
            if (v.RequiresGrad) Kernels.Linear.SumRows(G(v), dy, x.Length / block, block);
        });
    }

    /// <summary>y = x + s for a one-element s (SigLIP's bias).</summary>
    public Variable AddScalar(Variable x, Variable s)
    {
        var y = new Tensor(x.Shape);
        TensorPrimitives.Add(x.Data, s.Data[0], y.Span);
        return Result(y, Needs(x, s), r =>
        {
            var dy = r.Grad!.Span;
            if (x.RequiresGrad) TensorPrimitives.Add(G(x), dy, G(x));
            if (s.RequiresGrad) G(s)[0] += TensorPrimitives.Sum(dy);
        });
    }

    /// <summary>
    /// y = exp(s)·x for a one-element s (CLIP's logit_scale, stored as a logarithm):
    /// dx += exp(s)·dy, ds += exp(s)·Σ dy ⊙ x.
    /// </summary>
    public Variable ScaleByExp(Variable x, Variable logScale)
    {
        float scale = MathF.Exp(logScale.Data[0]);
        var y = new Tensor(x.Shape);
        TensorPrimitives.Multiply(x.Data, scale, y.Span);
        return Result(y, Needs(x, logScale), r =>
        {
            var dy = r.Grad!.Span;
            if (x.RequiresGrad)
            {
                var dx = G(x);
                for (int i = 0; i < dx.Length; i++) dx[i] += scale * dy[i];
            }
            if (logScale.RequiresGrad)
            {
                double dot = 0;
                var xs = x.Data;
                for (int i = 0; i < xs.Length; i++) dot += (double)dy[i] * xs[i];
                G(logScale)[0] += (float)(scale * dot);
            }
        });
    }

    /// <summary>QuickGELU: y = x·σ(1.702x).</summary>
    public Variable QuickGelu(Variable x) => Unary<QuickGeluOperator, QuickGeluDerivative>(x);

    /// <summary>GELU (exact erf form).</summary>
    public Variable Gelu(Variable x) => Unary<GeluOperator, GeluDerivative>(x);

    /// <summary>GELU with the tanh approximation (PyTorch gelu(approximate="tanh"), SigLIP's gelu_pytorch_tanh).</summary>
    public Variable GeluTanh(Variable x) => Unary<GeluTanhOperator, GeluTanhDerivative>(x);

    /// <summary>ReLU: y = max(x, 0).</summary>
    public Variable Relu(Variable x) => Unary<ReluOperator, ReluDerivative>(x);

    /// <summary>y = f(x) elementwise; dx += dy ⊙ f′(x).</summary>
    public Variable Unary<TOp, TDerivative>(Variable x) where TOp : IUnaryOperator where TDerivative : IDerivativeOperator
    {
        var y = new Tensor(x.Shape);
        Elementwise.Apply<TOp>(x.Data, y.Span, Context.Isa);
        return Result(y, Needs(x), r => Elementwise.Backward<TDerivative>(G(x), r.Grad!.Span, x.Data));
    }

    /// <summary>The same values with a new shape (a view of x's storage; one dimension may be −1).</summary>
    public Variable Reshape(Variable x, params int[] shape)
    {
        var y = x.Value.Reshape(shape);
        return Result(y, Needs(x), r => TensorPrimitives.Add(G(x), r.Grad!.Span, G(x)));
    }

    /// <summary>
    /// x repeated <paramref name="times"/> times along dimension 0 (torch's x.repeat(times, 1, ...)): x (R, ...) →
    /// (times·R, ...), copied; dx += Σ over the copies of dy. E.g. SigLIP's probe (1, 1, C) → (B, 1, C).
    /// </summary>
    public Variable Repeat(Variable x, int times)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(times, 1);
        var shape = (int[])x.Shape.Clone();
        shape[0] *= times;
        var y = new Tensor(shape);
        for (int k = 0; k < times; k++) x.Data.CopyTo(y.Span.Slice(k * x.Length, x.Length));
        return Result(y, Needs(x), r => Kernels.Linear.SumRows(G(x), r.Grad!.Span, times, x.Length));
    }

    /// <summary>Rows [start, start + count) along dimension 0 (a copy); the gradient lands in those rows.</summary>
    public Variable Rows(Variable x, int start, int count)
    {
        var y = x.Value.Slice(start, count).Clone();
        int rowSize = x.Length / Math.Max(1, x.Shape[0]);
        return Result(y, Needs(x), r =>
        {
            var dx = G(x).Slice(start * rowSize, count * rowSize);
            TensorPrimitives.Add(dx, r.Grad!.Span, dx);
        });
    }

    /// <summary>xᵀ for a 2-D x (N, M) → (M, N), copied.</summary>
    public Variable Transpose(Variable x)
    {
        if (x.Value.Rank != 2) throw new ArgumentException($"transpose needs a matrix, got {x.Value.ShapeString}");
        int n = x.Shape[0], m = x.Shape[1];
        var y = new Tensor(m, n);
        var xs = x.Data;
        var ys = y.Span;
        for (int i = 0; i < n; i++)
        for (int j = 0; j < m; j++)
            ys[j * n + i] = xs[i * m + j];
        return Result(y, Needs(x), r =>
        {
            var dy = r.Grad!.Span;
            var dx = G(x);
            for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                dx[i * m + j] += dy[j * n + i];
        });
    }
}
