using ClipSharp.IO;
using ClipSharp.Testing;

namespace ClipSharp.Cli.Tests;

/// <summary>`clipsharp convert` end to end, in process.</summary>
[Collection("Console")]
public class ConvertCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliHarness.Run(args);

    [Fact]
    public void ConvertsTorchSaveToHfF16AndSaysWhatItRead()
    {
        var dir = Directory.CreateTempSubdirectory("clipsharp-cli-").FullName;
        try
        {
            var output = Path.Combine(dir, "out.safetensors");
            var (code, stdout, stderr) = Run("convert", Fixtures.Path("vit-tiny", "openai", "model.pt"), output, "--naming", "hf", "--dtype", "f16");
            Assert.True(code == 0, stderr);
            Assert.Contains("pytorch-zip (torch.save state_dict), 62 tensors, F16", stdout);
            Assert.Contains("78 tensors", stdout);
            using var f = SafetensorsFile.Open(output);
            Assert.Contains("vision_model.encoder.layers.1.self_attn.k_proj.weight", f.Names);
            Assert.Equal(DType.F16, f.Dtype("logit_scale"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadCheckpointIsOneLineAndExitCode2()
    {
        var dir = Directory.CreateTempSubdirectory("clipsharp-cli-").FullName;
        try
        {
            var bad = Path.Combine(dir, "bad.safetensors");
            File.WriteAllBytes(bad, [0xE8, 0x03, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}']);
            var (code, _, stderr) = Run("convert", bad, Path.Combine(dir, "out.safetensors"));
            Assert.Equal(2, code);
            Assert.Equal(1, stderr.Trim().Split('\n').Length);
            Assert.Contains("header length field is 1000 bytes", stderr);
            Assert.False(File.Exists(Path.Combine(dir, "out.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
