using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;
using ClipSharp.Training;
using Xunit.Abstractions;
using static ClipSharp.Tests.TrainingParityTests;

namespace ClipSharp.Tests;

/// <summary>Gradient caching, SigLIP, the optimiser's rules, schedule, clipping and freezing.</summary>
public class TrainingTests
{
    private readonly ITestOutputHelper _output;

    public TrainingTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void GradientCachingOverFourChunksEqualsTheFullBatch()
    {
        var full = Load("vit-tiny");
        var chunked = Load("vit-tiny");
        var a = new ClipTrainer(full.Model, new TrainingOptions(), ComputeContext.Default);
        var b = new ClipTrainer(chunked.Model, new TrainingOptions { Chunks = 4 }, ComputeContext.Default);
        double lossA = a.ComputeGradients(full.Pixels, full.Tokens);
        double lossB = b.ComputeGradients(chunked.Pixels, chunked.Tokens);
        // Same loss up to float rounding (the chunks' GEMMs have other row counts): within half the old 6-decimal step,
        // instead of rounding both to 6 decimals, which fails whenever the two values straddle a rounding boundary.
        Assert.True(Math.Abs(lossA - lossB) <= 5e-7, $"chunked loss {lossB:R} vs full batch {lossA:R}");
        double worst = 0;
        for (int i = 0; i < a.Trainable.Count; i++)
        {
            var ga = a.Gradients[a.Trainable[i].Value].Span;
            var gb = b.Gradients[b.Trainable[i].Value].Span;
            double rel = RelativeError(ga, gb);
            worst = Math.Max(worst, rel);
            Assert.True(rel <= 1e-5, $"{a.Trainable[i].Key}: chunked gradient differs by {rel:E2}");
        }
        _output.WriteLine($"loss {lossA} vs {lossB}; worst relative gradient difference {worst:E2}");
        // And against the reference itself: the chunked loss is the full-batch loss.
        Assert.True(Math.Abs(lossB - Ref(chunked, "loss0")[0]) <= 1e-4 * lossB);
    }

    [Fact]
    public void SigLipLossMatchesItsDefinitionAndFiniteDifferences()
    {
        var rng = new Random(3);
        Tensor Rand(int n, int e) => new(Enumerable.Range(0, n * e).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), n, e);
        var img = Rand(4, 5);
        var txt = Rand(4, 5);
        float logScale = (float)Math.Log(10), bias = -10f;

        double Reference(double t, double b)
        {
            double total = 0;
            for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double dot = 0, ni = 0, nj = 0;
                for (int k = 0; k < 5; k++)
                {
                    dot += (double)img.Span[i * 5 + k] * txt.Span[j * 5 + k];
                    ni += (double)img.Span[i * 5 + k] * img.Span[i * 5 + k];
                    nj += (double)txt.Span[j * 5 + k] * txt.Span[j * 5 + k];
                }
                double logit = Math.Exp(t) * dot / Math.Sqrt(ni * nj) + b, z = i == j ? 1 : -1;
                total += Math.Log(1 + Math.Exp(-z * logit));
            }
            return total / 4;
        }

        var scaleT = new Tensor(new[] { logScale }, 1);
        var biasT = new Tensor(new[] { bias }, 1);
        var grads = new Gradients();
        grads.Track(scaleT);
        grads.Track(biasT);
        var tape = new Tape(ComputeContext.SingleThreaded, grads);
        var loss = ContrastiveLoss.SigLip(tape, tape.Constant(img), tape.Constant(txt), tape.Param(scaleT), tape.Param(biasT));
        tape.Backward(loss);
        double expected = Reference(logScale, bias), h = 1e-5;
        Assert.Equal(expected, loss.Data[0], 5);
        double dT = (Reference(logScale + h, bias) - Reference(logScale - h, bias)) / (2 * h);
        double dB = (Reference(logScale, bias + h) - Reference(logScale, bias - h)) / (2 * h);
        Assert.True(Math.Abs(grads[scaleT].Span[0] - dT) <= 1e-4 * Math.Max(1, Math.Abs(dT)), $"d/dt' {grads[scaleT].Span[0]} vs {dT}");
        Assert.True(Math.Abs(grads[biasT].Span[0] - dB) <= 1e-4 * Math.Max(1, Math.Abs(dB)), $"d/db {grads[biasT].Span[0]} vs {dB}");
    }

    [Fact]
    public void WeightDecayRuleFollowsClip()
    {
        Assert.True(AdamW.DecaysByDefault("visual.conv1.weight", new Tensor(2, 2, 1, 1)));
        Assert.True(AdamW.DecaysByDefault("token_embedding.weight", new Tensor(3, 2)));
        Assert.True(AdamW.DecaysByDefault("visual.attnpool.positional_embedding", new Tensor(3, 2)));
        Assert.False(AdamW.DecaysByDefault("visual.class_embedding", new Tensor(4)));
        Assert.False(AdamW.DecaysByDefault("transformer.resblocks.0.ln_1.weight", new Tensor(4)));
        Assert.False(AdamW.DecaysByDefault("transformer.resblocks.0.attn.in_proj_bias", new Tensor(4)));
        Assert.False(AdamW.DecaysByDefault("logit_scale", new Tensor(1, 1)));
        Assert.False(AdamW.DecaysByDefault("visual.bn1.weight", new Tensor(2, 2)));
    }

    [Fact]
    public void AdamWStepMatchesHandComputation()
    {
        // Two steps on one value: p=1, g=0.5 then g=−0.25, lr 0.1, wd 0.2, β (0.9, 0.98), eps 1e-6.
        float[] p = [1f], m = [0f], v = [0f];
        double lr = 0.1, wd = 0.2, b1 = 0.9, b2 = 0.98, eps = 1e-6;
        double P = 1, M = 0, V = 0;
        double[] g = [0.5, -0.25];
        for (int t = 1; t <= 2; t++)
        {
            Tensors.Kernels.Optimizer.AdamW(p, m, v, [(float)g[t - 1]], lr, b1, b2, eps, wd, t);
            P *= 1 - lr * wd;
            M = b1 * M + (1 - b1) * g[t - 1];
            V = b2 * V + (1 - b2) * g[t - 1] * g[t - 1];
            P -= lr / (1 - Math.Pow(b1, t)) * M / (Math.Sqrt(V) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps);
            Assert.Equal(P, p[0], 1e-6);
        }
    }

    [Fact]
    public void CosineScheduleWarmsUpThenDecays()
    {
        var s = new CosineSchedule(1e-3, warmupSteps: 10, totalSteps: 110);
        Assert.Equal(1e-4, s.At(0), 12);
        Assert.Equal(1e-3, s.At(9), 12);
        Assert.Equal(1e-3, s.At(10), 12);
        Assert.Equal(0.5e-3, s.At(60), 12);
        Assert.Equal(0, s.At(110), 12);
        for (int i = 11; i < 110; i++) Assert.True(s.At(i) < s.At(i - 1));
    }

    [Fact]
    public void ClippingScalesToTheMaximumNorm()
    {
        var b = Load("vit-tiny", 4);
        var trainer = new ClipTrainer(b.Model, new TrainingOptions { MaxGradNorm = 0.1 }, ComputeContext.Default);
        trainer.ComputeGradients(b.Pixels, b.Tokens);
        double before = trainer.Gradients.GlobalNorm();
        Assert.True(before > 0.1, $"test needs a gradient norm above the limit, got {before}");
        var result = trainer.Step(b.Pixels, b.Tokens);   // recomputes, clips, steps
        Assert.Equal(0.1, trainer.Gradients.GlobalNorm(), 4);
        Assert.True(result.GradNorm > 0.1);
    }

    [Fact]
    public void LockedImageTowerGetsNoGradientsExceptUnlockedGroups()
    {
        var b = Load("vit-tiny", 2);
        var locked = new ClipTrainer(b.Model, new TrainingOptions { Freeze = new FreezeOptions { LockImage = true } }, ComputeContext.Default);
        Assert.DoesNotContain(locked.Trainable, kv => kv.Key.StartsWith("visual.", StringComparison.Ordinal));
        Assert.Contains(locked.Trainable, kv => kv.Key == "logit_scale");
        var before = b.Model.Visual is VisionTransformer vit ? vit.Proj.Span.ToArray() : throw new InvalidOperationException();
        locked.Step(b.Pixels, b.Tokens);
        Assert.Equal(before, vit.Proj.Span.ToArray());

        var partly = new ClipTrainer(Load("vit-tiny", 2).Model,
            new TrainingOptions { Freeze = new FreezeOptions { LockImage = true, ImageUnlockedGroups = 2, LockText = true } }, ComputeContext.Default);
        var names = partly.Trainable.Select(kv => kv.Key).ToArray();
        // ViT tiny has 2 blocks → groups: stem, block 0, block 1, head. The last two are block 1 and the head.
        Assert.Contains("visual.transformer.resblocks.1.attn.in_proj_weight", names);
        Assert.Contains("visual.proj", names);
        Assert.DoesNotContain("visual.transformer.resblocks.0.attn.in_proj_weight", names);
        Assert.DoesNotContain("visual.conv1.weight", names);
        Assert.Equal(new[] { "visual.transformer.resblocks.1", "visual.ln_post", "visual.proj", "logit_scale" },
            names.Select(n => n.StartsWith("visual.transformer") ? "visual.transformer.resblocks.1" : n.StartsWith("visual.ln_post") ? "visual.ln_post" : n).Distinct());
    }

    [Fact]
    public void LossDecreasesWhenOverfittingOneBatch()
    {
        var b = Load("rn-tiny", 4);
        var trainer = new ClipTrainer(b.Model, new TrainingOptions { Optimizer = new AdamWOptions { LearningRate = 3e-4 } }, ComputeContext.Default);
        double first = trainer.Step(b.Pixels, b.Tokens).Loss, last = first;
        for (int i = 0; i < 8; i++) last = trainer.Step(b.Pixels, b.Tokens).Loss;
        _output.WriteLine($"loss {first} → {last}");
        Assert.True(last < 0.5 * first, $"loss went {first} → {last}");
    }
}
