using ClipSharp.IO;
using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>Every checkpoint format in the fixtures builds a model that matches the reference features.</summary>
public class ModelLoaderTests
{
    public static TheoryData<string, string> Checkpoints => new()
    {
        { "vit-tiny", "openai/model.safetensors" },
        { "vit-tiny", "openai/model.pt" },
        { "vit-tiny", "openai/model_jit.pt" },
        { "vit-tiny", "hf" },
        { "rn-tiny", "openai/model.safetensors" },
        { "rn-tiny", "openai/model.pt" },
    };

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void EveryFormatReproducesTheReferenceFeatures(string fixture, string checkpoint)
    {
        var model = ModelLoader.Load(Fixtures.Path([fixture, .. checkpoint.Split('/')]));
        var expected = Fixtures.Path(fixture, "expected.safetensors");
        using var file = SafetensorsFile.Open(expected);
        var ctx = ComputeContext.Default;
        var image = model.EncodeImage(ctx, file.ReadTensor("pixel_values"));
        var tokens = file.ReadInt32("tokens");
        var text = model.EncodeText(ctx, tokens, tokens.Length / model.Config.Text.ContextLength);
        ModelParityTests.AssertRowsClose(file.ReadTensor("image_features"), image, 1e-4);
        ModelParityTests.AssertRowsClose(file.ReadTensor("text_features"), text, 1e-4);
    }

    [Fact]
    public void HuggingFaceConfigGivesTheSameArchitectureAsTheShapes()
    {
        var fromHf = ModelConfigs.FromHuggingFace(HfClipConfig.Load(Fixtures.Path("vit-tiny", "hf")));
        var fromShapes = ModelConfigs.InferFromStateDict(CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors")));
        Assert.Equal(fromShapes, fromHf);
    }

    [Theory]
    [InlineData("vit-tiny")]
    [InlineData("rn-tiny")]
    public void InspectReadsOnlyTheHeaderButAgreesWithTheFullLoad(string fixture)
    {
        var path = Fixtures.Path(fixture, "openai", "model.safetensors");
        var info = ModelLoader.Inspect(path);
        var model = ModelLoader.Load(path);
        Assert.Equal(model.Config, info.Config);
        Assert.Equal("safetensors", info.Format);
        Assert.Contains("F16", info.Dtypes);
    }

    [Fact]
    public void ShapeThatContradictsTheConfigNamesKeyAndShapes()
    {
        var sd = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var wrong = new ClipConfig(64, new VitConfig(64, 16, 128, 2, 2), new TextConfig(77, 49408, 128, 2, 3));
        var e = Assert.Throws<CheckpointException>(() => ClipModel.FromStateDict(sd, wrong));
        Assert.Contains("transformer.resblocks.2", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void UnexpectedAndMissingKeysAreNamed()
    {
        var path = Fixtures.Path("vit-tiny", "openai", "model.safetensors");
        var sd = CheckpointLoader.Load(path);
        sd.Add("visual.extra_head.weight", new Tensor(3, 3), "F32");
        var e = Assert.Throws<CheckpointException>(() => ClipModel.FromStateDict(sd));
        Assert.Contains("'visual.extra_head.weight' (3, 3)", e.Message);

        var sd2 = CheckpointLoader.Load(path);
        sd2.Remove("visual.ln_post.bias");
        var e2 = Assert.Throws<CheckpointException>(() => ClipModel.FromStateDict(sd2));
        Assert.Contains("missing tensor 'visual.ln_post.bias' (expected shape (128))", e2.Message);
    }

    [Fact]
    public void WrongShapeNamesExpectedAndFound()
    {
        var sd = CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));
        var config = ModelConfigs.InferFromStateDict(sd);
        sd.Remove("visual.ln_pre.weight");
        sd.Add("visual.ln_pre.weight", new Tensor(127), "F16");
        var e = Assert.Throws<CheckpointException>(() => ClipModel.FromStateDict(sd, config));
        Assert.Contains("'visual.ln_pre.weight' has shape (127), expected (128)", e.Message);
    }
}
