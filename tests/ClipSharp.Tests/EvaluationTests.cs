using ClipSharp.Evaluation;

namespace ClipSharp.Tests;

public class EvaluationTests
{
    [Fact]
    public void LbfgsFindsTheRosenbrockMinimum()
    {
        var x = new[] { -1.2, 1.0 };
        double f = Lbfgs.Minimize((p, g) =>
        {
            double a = 1 - p[0], b = p[1] - p[0] * p[0];
            g[0] = -2 * a - 400 * p[0] * b;
            g[1] = 200 * b;
            return a * a + 100 * b * b;
        }, x, maxIterations: 2000, tolerance: 1e-9);
        Assert.True(f < 1e-10, $"f = {f}");
        Assert.Equal(1.0, x[0], 4);
        Assert.Equal(1.0, x[1], 4);
    }

    [Fact]
    public void LinearProbeSeparatesGaussianClustersAndPicksALambda()
    {
        var rng = new Random(7);
        int classes = 3, d = 8, perClass = 60;
        var centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray()).ToArray();
        var x = new List<float[]>();
        var y = new List<int>();
        for (int c = 0; c < classes; c++)
        for (int i = 0; i < perClass; i++)
        {
            x.Add(centres[c].Select(v => v + (float)(rng.NextDouble() - 0.5)).ToArray());
            y.Add(c);
        }
        var (model, sweep) = LinearProbe.TrainWithValidation(x.ToArray(), y.ToArray(), classes);
        Assert.True(sweep.Count >= 5);
        Assert.True(model.Accuracy(x.ToArray(), y.ToArray()) > 0.97);
        // Heavier regularisation shrinks the weights.
        var weak = LinearProbe.Train(x.ToArray(), y.ToArray(), classes, 1e-4);
        var strong = LinearProbe.Train(x.ToArray(), y.ToArray(), classes, 10);
        double Norm(LinearProbe p) => p.Parameters.Take(classes * d).Sum(v => v * v);
        Assert.True(Norm(strong) < Norm(weak));
    }

    [Fact]
    public void ClassificationReportCountsTopKAndConfusion()
    {
        // 3 samples, 6 classes.
        float[] scores =
        [
            0.9f, 0.1f, 0, 0, 0, 0,        // true 0, predicted 0
            0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0.05f, // true 5: rank 5 → neither top-1 nor top-5
            0.1f, 0.8f, 0.7f, 0, 0, 0,     // true 2: rank 1 → top-5 only, predicted 1
        ];
        var r = ClassificationReport.Compute(scores, [0, 5, 2], ["a", "b", "c", "d", "e", "f"]);
        Assert.Equal(1.0 / 3, r.Top1, 9);
        Assert.Equal(2.0 / 3, r.Top5, 9);
        Assert.Equal(1, r.Confusion[0, 0]);
        Assert.Equal(1, r.Confusion[5, 0]);
        Assert.Equal(1, r.Confusion[2, 1]);
        Assert.Equal(1.0, r.PerClassAccuracy[0]);
        Assert.Equal(0.0, r.PerClassAccuracy[2]);
        Assert.Contains("| a | 1 |", r.ToMarkdown("t"));
        var svg = ConfusionMatrixSvg.Render(r.Confusion, r.Labels, "Fashion <test>");
        Assert.StartsWith("<svg", svg);
        Assert.Contains("Fashion &lt;test&gt;", svg);
        Assert.Equal(36, System.Text.RegularExpressions.Regex.Matches(svg, "<rect x=").Count);
    }

    [Fact]
    public void RetrievalRecallOnAKnownSimilarityMatrix()
    {
        // 3 images, 4 texts; text 3 also describes image 0.
        float[] sim =
        [
            0.9f, 0.1f, 0.2f, 0.95f,
            0.8f, 0.7f, 0.1f, 0.0f,   // image 1's text (1) ranks 2nd among texts
            0.1f, 0.2f, 0.3f, 0.0f,
        ];
        var r = RetrievalReport.Compute(sim, 3, [0, 1, 2, 0], [1, 2]);
        Assert.Equal(2.0 / 3, r.ImageToText[1], 9);
        Assert.Equal(1.0, r.ImageToText[2], 9);
        // Text→image: text 0 → image 0 (best), text 1 → image 1 (best: 0.7 vs 0.1, 0.2), text 2 → image 2 (0.3 best), text 3 → image 0 (best).
        Assert.Equal(1.0, r.TextToImage[1], 9);
    }
}
