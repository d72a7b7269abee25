using ClipSharp.IO;
using ClipSharp.Testing;
using Xunit.Abstractions;

namespace ClipSharp.Tests;

/// <summary>Every container of the same reference model loads to the same tensors, bit for bit.</summary>
public class IOFixtureParityTests(ITestOutputHelper output)
{
    internal static void AssertIdentical(StateDict expected, StateDict actual)
    {
        Assert.Equal(expected.Names.OrderBy(n => n, StringComparer.Ordinal), actual.Names.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var name in expected.Names)
        {
            var a = expected[name];
            var b = actual[name];
            Assert.True(a.Shape.SequenceEqual(b.Shape), $"{name}: shape {a.ShapeString} vs {b.ShapeString}");
            var sa = a.Span;
            var sb = b.Span;
            for (int i = 0; i < sa.Length; i++)
            {
                if (BitConverter.SingleToInt32Bits(sa[i]) != BitConverter.SingleToInt32Bits(sb[i]))
                    Assert.Fail($"{name}[{i}]: {sa[i]:R} ({expected.Source}) vs {sb[i]:R} ({actual.Source})");
            }
        }
    }

    [Theory]
    [InlineData("vit-tiny")]
    [InlineData("rn-tiny")]
    public void TorchSaveZipMatchesSafetensors(string model)
    {
        var st = CheckpointLoader.Load(Fixtures.Path(model, "openai", "model.safetensors"));
        var pt = CheckpointLoader.Load(Fixtures.Path(model, "openai", "model.pt"));
        output.WriteLine(st.Describe());
        output.WriteLine(pt.Describe());
        Assert.Equal("safetensors", st.Format);
        Assert.Equal("pytorch-zip", pt.Format);
        AssertIdentical(st, pt);
        Assert.Equal(st.Names, pt.Names); // torch.save keeps state_dict order, as did the safetensors writer
        foreach (var n in st.Names) Assert.Equal(st.StoredDtype(n), pt.StoredDtype(n));
    }

    [Fact]
    public void TorchScriptMatchesSafetensors()
    {
        var st = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var jit = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model_jit.pt"));
        output.WriteLine(jit.Describe());
        Assert.Equal("torchscript", jit.Format);
        Assert.Equal(62, jit.Count);
        AssertIdentical(st, jit);
    }

    [Fact]
    public void HuggingFaceDirectoryMatchesSafetensors()
    {
        var st = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var hf = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "hf"));
        output.WriteLine(hf.Describe());
        Assert.Equal("hf-safetensors", hf.Format);
        AssertIdentical(st, hf);
        var c = hf.HfConfig!;
        Assert.Equal((128, 2, 2, 64, 16), (c.Vision.HiddenSize, c.Vision.NumHiddenLayers, c.Vision.NumAttentionHeads, c.Vision.ImageSize, c.Vision.PatchSize));
        Assert.Equal((128, 512, 49408, 77, "quick_gelu"), (c.Text.HiddenSize, c.Text.IntermediateSize, c.Text.VocabSize, c.Text.MaxPositionEmbeddings, c.Text.HiddenAct));
        Assert.Equal(64, c.ProjectionDim);
    }

    [Fact]
    public void HfSafetensorsFileAloneIsMappedByName()
    {
        var st = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var hfFile = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "hf", "model.safetensors"));
        Assert.Contains("mapped to OpenAI", hfFile.Detail);
        AssertIdentical(st, hfFile);
    }

    [Fact]
    public void ResNetNamesAndBatchNormStatisticsAreKept()
    {
        var sd = CheckpointLoader.Load(Fixtures.Path("rn-tiny", "openai", "model.pt"));
        // In OpenAI's Bottleneck the downsample Sequential is (-1: AvgPool, 0: conv, 1: bn).
        Assert.Equal([64, 16, 1, 1], sd["visual.layer1.0.downsample.0.weight"].Shape);
        Assert.Equal([64], sd["visual.layer1.0.downsample.1.running_var"].Shape);
        Assert.Equal("I64", sd.StoredDtype("visual.bn1.num_batches_tracked"));
        Assert.Equal([1], sd["visual.bn1.num_batches_tracked"].Shape);
        Assert.Equal([5, 512], sd["visual.attnpool.positional_embedding"].Shape);
        Assert.Equal("pytorch-zip (torch.save state_dict), 141 tensors, F16 ×122 + I64 ×19", sd.Describe());
    }

    [Fact]
    public void DetectsFormatsByMagicBytes()
    {
        Assert.Equal(CheckpointFormat.Safetensors, CheckpointLoader.Detect(Fixtures.Path("vit-tiny", "openai", "model.safetensors")));
        Assert.Equal(CheckpointFormat.PyTorchZip, CheckpointLoader.Detect(Fixtures.Path("vit-tiny", "openai", "model.pt")));
        Assert.Equal(CheckpointFormat.TorchScript, CheckpointLoader.Detect(Fixtures.Path("vit-tiny", "openai", "model_jit.pt")));
        Assert.Equal(CheckpointFormat.HuggingFaceDirectory, CheckpointLoader.Detect(Fixtures.Path("vit-tiny", "hf")));
        Assert.Equal(CheckpointFormat.Unknown, CheckpointLoader.Detect(Fixtures.Path("vit-tiny", "texts.json")));
    }

    [Fact]
    public void RawReaderReadsNonModelTensors()
    {
        using var f = SafetensorsFile.Open(Fixtures.Path("vit-tiny", "expected.safetensors"));
        Assert.Equal(DType.I32, f.Dtype("tokens"));
        var shape = f.Shape("tokens");
        var tokens = f.ReadInt32("tokens");
        Assert.Equal(shape[0] * 77, tokens.Length);
        Assert.Equal(49406, tokens[0]); // every row starts with <|startoftext|>
        Assert.Equal(49406, tokens[77]);
        var pixels = f.ReadFloat32("pixel_values");
        Assert.Equal(DType.F32, f.Dtype("pixel_values"));
        Assert.Equal(f.Shape("pixel_values").Aggregate(1, (a, b) => a * b), pixels.Length);
        Assert.Equal(3, f.Shape("pixel_values")[1]);
        Assert.Contains("logits_per_image", f.Names);
        var ex = Assert.Throws<CheckpointException>(() => f.ReadInt32("pixel_values"));
        Assert.Contains("pixel_values", ex.Message);
    }
}
