using ClipSharp.IO;
using ClipSharp.Models.Siglip;
using ClipSharp.Tensors;
using ClipSharp.Training;
using Xunit.Abstractions;

namespace ClipSharp.Tests;

/// <summary>
/// SigLIP training against PyTorch: the sigmoid loss and the gradient of every parameter of the FixRes fixture
/// on one batch (its four images paired with its first four token rows), from tests/reference/siglip_ref.py
/// (make_training, whose float32 gradients agree with its float64 ones within 2.3e-6). Loss within 1e-5
/// relative; each gradient within 1e-4 of its norm. Key biases (k_proj.bias, the middle third of the MAP head's
/// in_proj_bias) have an exactly-zero gradient — softmax ignores a shift shared by a row's scores — so both
/// sides hold rounding noise there: those values must be noise-sized and carry no relative error.
/// </summary>
public class SiglipTrainingParityTests
{
    private readonly ITestOutputHelper _output;

    public SiglipTrainingParityTests(ITestOutputHelper output) => _output = output;

    /// <summary>The [start, end) values of a gradient that are zero in exact arithmetic (key biases); empty otherwise.</summary>
    private static (int Start, int End) ExactlyZero(string name, int length) =>
        name.EndsWith("k_proj.bias", StringComparison.Ordinal) ? (0, length)
        : name.EndsWith("attention.in_proj_bias", StringComparison.Ordinal) ? (length / 3, 2 * length / 3)
        : (0, 0);

    [Fact]
    public void SigmoidLossAndEveryParametersGradientMatchPyTorch()
    {
        var dir = SiglipParityTests.Dir("siglip-fixres");
        var referencePath = Path.Combine(dir, "training.safetensors");
        Assert.True(File.Exists(referencePath), $"missing {referencePath} (regenerate with /usr/bin/python3 tests/reference/siglip_ref.py --training-only)");
        var model = SiglipModel.Load(dir);
        using var reference = SafetensorsFile.Open(referencePath);
        var pixels = reference.ReadTensor("pixel_values");
        var ids = reference.ReadInt32("input_ids");
        var trainer = new ClipTrainer(model, new TrainingOptions { Loss = LossKind.SigLip }, new ComputeContext(2));
        Assert.Same(model.LogitBias, trainer.LogitBias);   // the model's own bias, not a fresh −10
        Assert.False(trainer.OwnsLogitBias);

        double loss = trainer.ComputeGradients(pixels, ids);
        double expectedLoss = reference.ReadFloat32("loss")[0];
        double lossError = Math.Abs(loss - expectedLoss) / Math.Abs(expectedLoss);
        _output.WriteLine($"loss {loss:F8} vs PyTorch {expectedLoss:F8}: relative {lossError:E2}");
        Assert.True(lossError <= 1e-5, $"loss {loss} vs PyTorch {expectedLoss}: relative error {lossError:E2}");

        // Every parameter trains and PyTorch has a gradient for each, under the same name.
        var gradNames = reference.Names.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)).Select(n => n["grad.".Length..]).ToList();
        Assert.Equal(model.Parameters.Select(kv => kv.Key).Order(), gradNames.Order());
        Assert.Equal(model.Parameters.Select(kv => kv.Key), trainer.Trainable.Select(kv => kv.Key));

        var expected = gradNames.ToDictionary(n => n, n => reference.ReadFloat32("grad." + n));
        double global = Math.Sqrt(expected.Values.Sum(g => g.Sum(v => (double)v * v)));
        Assert.True(global > 1e-3, $"reference gradients are degenerate (global norm {global:E2})");
        (string Name, double Error) worst = ("", 0);
        int compared = 0;
        foreach (var (name, value) in model.Parameters)
        {
            var want = expected[name];
            var got = trainer.Gradients[value].Span.ToArray();
            Assert.Equal(want.Length, got.Length);
            var (zs, ze) = ExactlyZero(name, want.Length);
            for (int i = zs; i < ze; i++)
                Assert.True(Math.Abs(got[i]) <= 1e-6 * global && Math.Abs(want[i]) <= 1e-6 * global,
                    $"grad.{name}[{i}]: {got[i]} (PyTorch {want[i]}) where the exact gradient is zero");
            var keep = Enumerable.Range(0, want.Length).Where(i => i < zs || i >= ze).ToArray();
            if (keep.Length == 0) continue;
            double rel = TrainingTraceComparison.RelativeError(keep.Select(i => want[i]).ToArray(), keep.Select(i => got[i]).ToArray());
            _output.WriteLine($"grad.{name}: relative {rel:E2}");
            compared++;
            if (rel > worst.Error) worst = (name, rel);
        }
        _output.WriteLine($"{compared} gradients compared, worst grad.{worst.Name} {worst.Error:E2}");
        Assert.True(compared >= model.Parameters.Count - 4, $"only {compared} of {model.Parameters.Count} gradients compared");
        Assert.True(worst.Error <= 1e-4, $"grad.{worst.Name}: relative error {worst.Error:E2} vs PyTorch (bar 1e-4)");
    }

    [Fact]
    public void AfterStepsInferenceSeesTheTrainedWeightsAsTheTapeDoes()
    {
        // The inference attention runs q, k, v as one fused GEMM: it must read the weights as trained, not a copy from load time.
        var dir = SiglipParityTests.Dir("siglip-fixres");
        var model = SiglipModel.Load(dir);
        using var reference = SafetensorsFile.Open(Path.Combine(dir, "training.safetensors"));
        var pixels = reference.ReadTensor("pixel_values");
        var ids = reference.ReadInt32("input_ids");
        var ctx = new ComputeContext(1);
        var before = model.EncodeText(ctx, ids, 4).Span.ToArray();
        var trainer = new ClipTrainer(model, new TrainingOptions { Loss = LossKind.SigLip, Optimizer = new AdamWOptions { LearningRate = 1e-3 } }, ctx);
        for (int s = 0; s < 2; s++) trainer.Step(pixels, ids);
        var values = new ClipSharp.Tensors.Autograd.Tape(ctx, trainer.Gradients, record: false);
        foreach (var (inference, tape) in new[]
        {
            (model.EncodeText(ctx, ids, 4), model.EncodeText(values, ids, 4).Value),
            (model.EncodeImage(ctx, pixels), model.EncodeImage(values, pixels).Value),
        })
            Assert.True(TrainingTraceComparison.RelativeError(tape.Span, inference.Span) <= 1e-5,
                $"inference {TrainingTraceComparison.RelativeError(tape.Span, inference.Span):E2} away from the tape forward on the trained weights");
        Assert.True(TrainingTraceComparison.RelativeError(before, model.EncodeText(ctx, ids, 4).Span) > 1e-3, "two steps at lr 1e-3 did not move the text embeddings");
    }

    [Fact]
    public void FreezingLocksSiglipTowersByLayerGroup()
    {
        var model = SiglipModel.Load(SiglipParityTests.Dir("siglip-fixres"));
        var all = Freezing.Trainable(model, FreezeOptions.None).Select(kv => kv.Key).ToList();
        Assert.Equal(model.Parameters.Select(kv => kv.Key), all);

        // Image tower locked except its last group (post_layernorm and the MAP head); the text tower untouched.
        var partly = Freezing.Trainable(model, new FreezeOptions { LockImage = true, ImageUnlockedGroups = 1 }).Select(kv => kv.Key).ToList();
        Assert.All(partly.Where(n => n.StartsWith("vision_model.", StringComparison.Ordinal)),
            n => Assert.True(n.StartsWith("vision_model.head.", StringComparison.Ordinal) || n.StartsWith("vision_model.post_layernorm.", StringComparison.Ordinal), n));
        Assert.Contains("vision_model.head.probe", partly);
        Assert.Equal(all.Count(n => n.StartsWith("text_model.", StringComparison.Ordinal)), partly.Count(n => n.StartsWith("text_model.", StringComparison.Ordinal)));

        // Text tower locked except its last encoder layer and head: layer 1 of 2 trains, layer 0 and the embeddings do not.
        var text = Freezing.Trainable(model, new FreezeOptions { LockText = true, TextUnlockedGroups = 2 }).Select(kv => kv.Key).ToList();
        Assert.Contains("text_model.encoder.layers.1.mlp.fc1.weight", text);
        Assert.Contains("text_model.head.weight", text);
        Assert.DoesNotContain("text_model.encoder.layers.0.mlp.fc1.weight", text);
        Assert.DoesNotContain("text_model.embeddings.token_embedding.weight", text);
        foreach (var locked in new[] { partly, text })
        {
            Assert.Contains("logit_scale", locked);
            Assert.Contains("logit_bias", locked);
        }
    }

    [Fact]
    public void TwoDataParallelRanksFollowOneProcessOnASiglipModel()
    {
        // The global batch of four pairs, two per rank; the model's own logit_bias is a parameter on every rank.
        var dir = SiglipParityTests.Dir("siglip-fixres");
        Tensor pixels;
        int[] ids;
        using (var reference = SafetensorsFile.Open(Path.Combine(dir, "training.safetensors")))
            (pixels, ids) = (reference.ReadTensor("pixel_values"), reference.ReadInt32("input_ids"));
        int l = ids.Length / 4;
        var options = new TrainingOptions { Loss = LossKind.SigLip, Optimizer = new AdamWOptions { LearningRate = 1e-4 } };
        (double[] Losses, SiglipModel Model) Train(ClipSharp.Distributed.ICollective job, int start, int count)
        {
            var model = SiglipModel.Load(dir);
            var trainer = new ClipTrainer(model, options, new ComputeContext(1), job);
            trainer.SynchronizeFromRoot();
            var shard = pixels.Slice(start, count).Contiguous();
            var rows = ids.AsSpan(start * l, count * l).ToArray();
            return (Enumerable.Range(0, 2).Select(_ => trainer.Step(shard, rows).Loss).ToArray(), model);
        }
        var one = Train(ClipSharp.Distributed.SingleProcess.Instance, 0, 4);
        var ranks = new InProcessJob(2).Run(job => Train(job, 2 * job.Rank, 2));
        foreach (var (losses, model) in ranks)
        {
            for (int s = 0; s < 2; s++)
                Assert.True(Math.Abs(losses[s] - one.Losses[s]) <= 1e-5 * one.Losses[s], $"step {s + 1}: rank loss {losses[s]} vs one process {one.Losses[s]}");
            foreach (var ((name, expected), (_, actual)) in one.Model.Parameters.Zip(model.Parameters))
            {
                var (zs, ze) = ExactlyZero(name, expected.Length);   // Adam turns a zero gradient's rounding noise into ±lr
                var keep = Enumerable.Range(0, expected.Length).Where(i => i < zs || i >= ze).ToArray();
                if (keep.Length == 0) continue;
                double rel = TrainingTraceComparison.RelativeError(keep.Select(i => expected.Span[i]).ToArray(), keep.Select(i => actual.Span[i]).ToArray());
                Assert.True(rel <= 1e-4, $"{name}: relative difference {rel:E2} between a rank and one process");
            }
        }
    }
}
