using ClipSharp.Models;
using ClipSharp.Tensors;

namespace ClipSharp.Training;

/// <summary>
/// A record of a few optimiser steps on one batch, in the layout of the reference fixtures'
/// training.safetensors: <c>loss0</c>, <c>grad.NAME</c> for every trainable parameter, <c>losses</c>
/// (the loss before each step) and <c>after.NAME</c>. For <c>token_embedding.weight</c> only the rows
/// in <c>token_embedding.rows</c> are kept: the first 64 ids and every id in the batch, ascending.
/// Used to compare a training implementation against another, tensor by tensor.
/// </summary>
public static class TrainingTrace
{
    /// <summary>Rows of the token-embedding table a trace keeps.</summary>
    public static int[] TokenRows(ReadOnlySpan<int> tokens) =>
        Enumerable.Range(0, 64).Concat(tokens.ToArray()).Distinct().Order().ToArray();

    /// <summary>
    /// Trains <paramref name="model"/> in place for <paramref name="steps"/> AdamW steps on the batch
    /// (pixels (N, 3, R, R), token rows (N, L)) and returns the trace, in the order the fixtures use.
    /// </summary>
    public static List<(string Name, Tensor Value, bool Integer)> Record(ITrainableEncoder model, Tensor pixels, int[] tokens, int steps,
        TrainingOptions options, ComputeContext ctx)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var trainer = new ClipTrainer(model, options, ctx);
        var rows = TokenRows(tokens);
        var trace = new List<(string, Tensor, bool)>();
        double loss0 = trainer.ComputeGradients(pixels, tokens);
        trace.Add(("loss0", new Tensor(new[] { (float)loss0 }, 1), false));
        trace.Add(("token_embedding.rows", new Tensor(rows.Select(r => (float)r).ToArray(), rows.Length), true));
        foreach (var (name, value) in trainer.Trainable)
            trace.Add(("grad." + name, Kept(name, trainer.Gradients[value], rows), false));
        var losses = new float[steps];
        for (int s = 0; s < steps; s++) losses[s] = (float)trainer.Step(pixels, tokens).Loss;
        trace.Add(("losses", new Tensor(losses, steps), false));
        foreach (var (name, value) in trainer.Trainable)
            trace.Add(("after." + name, Kept(name, value, rows), false));
        return trace;
    }

    private static Tensor Kept(string name, Tensor value, int[] rows)
    {
        if (name != "token_embedding.weight") return value.Clone();
        int c = value.Shape[1];
        var kept = new Tensor(rows.Length, c);
        for (int i = 0; i < rows.Length; i++) value.Span.Slice(rows[i] * c, c).CopyTo(kept.Span.Slice(i * c, c));
        return kept;
    }
}
