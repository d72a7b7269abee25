using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Kernels;
using ClipSharp.Training;

namespace ClipSharp.Tests;

/// <summary>The vectorised and the row-sparse AdamW are bit-identical to the dense scalar update.</summary>
public class SparseAdamWTests
{
    private static float[] Random(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() - 0.5)).ToArray(); }

    /// <summary>The update written out one element at a time, as the kernel documents it.</summary>
    private static void Scalar(float[] p, float[] m, float[] v, float[] g, double lr, double wd, long t)
    {
        float decay = (float)(1 - lr * wd), b1 = 0.9f, b2 = 0.98f, omb1 = (float)(1 - 0.9), omb2 = (float)(1 - 0.98);
        float stepSize = (float)(lr / (1 - Math.Pow(0.9, t))), bc2 = (float)Math.Sqrt(1 - Math.Pow(0.98, t)), eps = 1e-6f;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] *= decay;
            m[i] = m[i] * b1 + omb1 * g[i];
            v[i] = v[i] * b2 + omb2 * g[i] * g[i];
            p[i] += -stepSize * (m[i] / (MathF.Sqrt(v[i]) / bc2 + eps));
        }
    }

    [Fact]
    public void VectorisedKernelEqualsTheScalarFormula()
    {
        int n = 1003;
        var (p1, m1, v1) = (Random(n, 1), Random(n, 2).Select(Math.Abs).ToArray(), Random(n, 3).Select(x => x * x).ToArray());
        var (p2, m2, v2) = ((float[])p1.Clone(), (float[])m1.Clone(), (float[])v1.Clone());
        for (int t = 1; t <= 3; t++)
        {
            var g = Random(n, 10 + t);
            Optimizer.AdamW(p1, m1, v1, g, 1e-3, 0.9, 0.98, 1e-6, 0.2, t);
            Scalar(p2, m2, v2, g, 1e-3, 0.2, t);
        }
        Assert.Equal(p2, p1);
        Assert.Equal(m2, m1);
        Assert.Equal(v2, v1);
    }

    [Fact]
    public void SparseTokenEmbeddingUpdatesMatchDenseOnesBitForBit()
    {
        var config = new ClipConfig(16, new VitConfig(32, 16, 32, 1, 1), new TextConfig(77, 49408, 32, 1, 1));
        var sparse = new ClipTrainer(ClipModel.Random(config, seed: 4), new TrainingOptions(), new ComputeContext(2));
        var dense = new ClipTrainer(ClipModel.Random(config, seed: 4), new TrainingOptions(), new ComputeContext(2));
        var rng = new Random(9);
        var pixels = new Tensor(3, 3, 32, 32);
        foreach (ref var x in pixels.Span) x = (float)rng.NextDouble();
        string[][] batches = [["a photo of a cat", "a dog", "a red car"], ["two birds", "a photo of a cat", "one tree"], ["snow", "rain", "a dog"]];
        foreach (var texts in batches)
        {
            var tokens = Text.ClipTokenizer.Default.Encode(texts, 77).Cast<int>().ToArray();
            sparse.Step(pixels, tokens);
            dense.ComputeGradients(pixels, tokens);
            dense.Optimizer.Step(dense.CurrentLearningRate);
            dense.Model.LogitScale.Span[0] = Math.Clamp(dense.Model.LogitScale.Span[0], 0f, (float)Math.Log(100));
        }
        for (int i = 0; i < sparse.Optimizer.Parameters.Count; i++)
        {
            var (s, d) = (sparse.Optimizer.Parameters[i], dense.Optimizer.Parameters[i]);
            Assert.True(s.Value.Span.SequenceEqual(d.Value.Span), $"{s.Name} differs");
            Assert.True(s.ExpAvg.Span.SequenceEqual(d.ExpAvg.Span) && s.ExpAvgSq.Span.SequenceEqual(d.ExpAvgSq.Span), $"{s.Name} moments differ");
        }
    }
}
