using ClipSharp.IO;
using ClipSharp.Testing;

namespace ClipSharp.Tests;

/// <summary>The OpenAI ↔ Hugging Face name map, config parsing and the converter.</summary>
public class IOHuggingFaceTests
{
    private static StateDict OpenAi() => CheckpointLoader.Load(Fixtures.Path("vit-tiny", "openai", "model.safetensors"));

    [Fact]
    public void OpenAiToHfReproducesTheFixtureFileExactly()
    {
        var hf = HfClipNames.ToHf(OpenAi());
        using var reference = SafetensorsFile.Open(Fixtures.Path("vit-tiny", "hf", "model.safetensors"));
        Assert.Equal(reference.Names.OrderBy(n => n, StringComparer.Ordinal), hf.Names.OrderBy(n => n, StringComparer.Ordinal));
        foreach (var name in reference.Names)
        {
            var expected = reference.ReadFloat32(name);
            var actual = hf[name].Contiguous().Span.ToArray();
            Assert.True(reference.Shape(name).SequenceEqual(hf[name].Shape), $"{name}: {string.Join(",", reference.Shape(name))} vs {hf[name].ShapeString}");
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name}: values differ");
        }
    }

    [Fact]
    public void HfToOpenAiAndBackIsTheIdentity()
    {
        var open = OpenAi();
        var back = HfClipNames.ToOpenAi(HfClipNames.ToHf(open));
        IOFixtureParityTests.AssertIdentical(open, back);
    }

    [Fact]
    public void UnknownHfTensorIsNamed()
    {
        var hf = HfClipNames.ToHf(OpenAi());
        var extra = new StateDict { Source = "x.safetensors" };
        foreach (var n in hf.Names) extra.Add(n, hf[n], hf.StoredDtype(n));
        extra.Add("vision_model.encoder.layers.0.self_attn.rotary.weight", new Tensors.Tensor(2), "F32");
        var ex = Assert.Throws<CheckpointException>(() => HfClipNames.ToOpenAi(extra));
        Assert.Contains("'vision_model.encoder.layers.0.self_attn.rotary.weight'", ex.Message);
    }

    [Fact]
    public void MissingQkvPartIsNamed()
    {
        var hf = HfClipNames.ToHf(OpenAi());
        var partial = new StateDict { Source = "x.safetensors" };
        foreach (var n in hf.Names.Where(n => n != "text_model.encoder.layers.1.self_attn.v_proj.bias")) partial.Add(n, hf[n], hf.StoredDtype(n));
        var ex = Assert.Throws<CheckpointException>(() => HfClipNames.ToOpenAi(partial));
        Assert.Contains("v_proj", ex.Message);
        Assert.Contains("'transformer.resblocks.1.attn.in_proj_bias'", ex.Message);
    }

    [Fact]
    public void InferredConfigMatchesTheFixtureConfig()
    {
        var inferred = HfClipNames.InferConfig(OpenAi());
        var file = HfClipConfig.Load(Fixtures.Path("vit-tiny", "hf"));
        Assert.Equal(file, inferred);
        Assert.Equal(file, HfClipConfig.Parse(file.ToJson(), "roundtrip"));
    }

    [Fact]
    public void ConfigDefaultsAndErrors()
    {
        var c = HfClipConfig.Parse("{\"model_type\":\"clip\",\"vision_config\":{\"patch_size\":16}}", "cfg");
        Assert.Equal((768, 12, 224, 16), (c.Vision.HiddenSize, c.Vision.NumHiddenLayers, c.Vision.ImageSize, c.Vision.PatchSize));
        Assert.Equal((512, 8, 77), (c.Text.HiddenSize, c.Text.NumAttentionHeads, c.Text.MaxPositionEmbeddings));
        var bad = Assert.Throws<CheckpointException>(() => HfClipConfig.Parse("{\"text_config\":{\"hidden_size\":100,\"num_attention_heads\":8}}", "cfg.json"));
        Assert.Contains("cfg.json", bad.Message);
        Assert.Contains("hidden_size 100 is not divisible by num_attention_heads 8", bad.Message);
        var json = Assert.Throws<CheckpointException>(() => HfClipConfig.Parse("{", "cfg.json"));
        Assert.Contains("not valid JSON", json.Message);
    }

    [Fact]
    public void ConvertTorchScriptToHfF16IsExactAndLoadsBack()
    {
        using var dir = new TempDir();
        var outPath = dir.File("hf.safetensors");
        var result = CheckpointConverter.Convert(Fixtures.Path("vit-tiny", "openai", "model_jit.pt"), outPath, Naming.HuggingFace, DType.F16);
        Assert.Equal("torchscript", result.Loaded.Format);
        Assert.Equal(78, result.Written.Count); // 62 OpenAI tensors, 4 in_proj tensors become 3 each
        using (var f = SafetensorsFile.Open(outPath))
        {
            Assert.Equal("huggingface", f.Metadata["naming"]);
            Assert.All(f.Names, n => Assert.Equal(DType.F16, f.Dtype(n)));
        }
        IOFixtureParityTests.AssertIdentical(OpenAi(), CheckpointLoader.Load(outPath)); // fp16 source → fp16: exact
    }

    [Fact]
    public void ConvertHfDirectoryToOpenAiF32()
    {
        using var dir = new TempDir();
        var outPath = dir.File("openai.safetensors");
        CheckpointConverter.Convert(Fixtures.Path("vit-tiny", "hf"), outPath, Naming.OpenAI);
        var back = CheckpointLoader.Load(outPath);
        Assert.All(back.Names, n => Assert.Equal("F32", back.StoredDtype(n)));
        IOFixtureParityTests.AssertIdentical(OpenAi(), back);
    }

    [Fact]
    public void ResNetHasNoHfLayout()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<CheckpointException>(() =>
            CheckpointConverter.Convert(Fixtures.Path("rn-tiny", "openai", "model.pt"), dir.File("x.safetensors"), Naming.HuggingFace));
        Assert.Contains("ModifiedResNet", ex.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void HfDirectoryWithPytorchBinAndMismatchedConfig()
    {
        using var dir = new TempDir();
        // A CLIPModel directory holding pytorch_model.bin: reuse the OpenAI torch.save file renamed
        // (names are mapped by content), with a config whose layer count is wrong.
        File.Copy(Fixtures.Path("vit-tiny", "openai", "model.pt"), dir.File("pytorch_model.bin"));
        var config = File.ReadAllText(Fixtures.Path("vit-tiny", "hf", "config.json"));
        File.WriteAllText(dir.File("config.json"), config);
        var ex = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));
        Assert.Contains("unexpected tensor 'positional_embedding'", ex.Message); // OpenAI names inside an HF directory

        var hfPt = HfClipNames.ToHf(OpenAi());
        SafetensorsWriter.Write(dir.File("model.safetensors"), hfPt, DType.F16);
        File.WriteAllText(dir.File("config.json"), config.Replace("\"num_hidden_layers\": 2,\n    \"image_size\"", "\"num_hidden_layers\": 3,\n    \"image_size\""));
        var cfg = Assert.Throws<CheckpointException>(() => CheckpointLoader.Load(dir.Path));
        Assert.Contains("config.json", cfg.Message);
        Assert.Contains("vision_config.num_hidden_layers is 3 but the weights hold 2", cfg.Message);
    }
}
