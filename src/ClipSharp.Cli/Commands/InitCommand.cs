using System.CommandLine;
using ClipSharp.IO;
using ClipSharp.Models;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp init --arch NAME --seed N --out FILE`: a randomly initialised model (the reference's scheme).</summary>
internal static class InitCommand
{
    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = $"Preset: {string.Join(", ", ModelConfigs.PresetNames)}; or an OpenCLIP config JSON file", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "Output .safetensors file (OpenAI tensor names)", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "f32 | f16 | bf16", DefaultValueFactory = _ => "f32" };
        var cmd = new Command("init", "Write a randomly initialised model, for training from scratch and benchmarks.") { arch, seed, output, dtype };
        cmd.SetAction(parse =>
        {
            var name = parse.GetValue(arch)!;
            var config = File.Exists(name) ? ModelConfigs.FromOpenClipFile(name) : ModelConfigs.Preset(name);
            var model = ClipModel.Random(config, parse.GetValue(seed));
            var type = ConvertCommandDtype(parse.GetValue(dtype)!);
            var path = parse.GetValue(output)!;
            SafetensorsWriter.Write(path, model.Parameters.Select(kv => new SafetensorsItem(kv.Key, kv.Value, type)),
                new Dictionary<string, string> { ["format"] = "pt", ["clipsharp.arch"] = name, ["clipsharp.seed"] = parse.GetValue(seed).ToString() });
            Console.WriteLine($"wrote {path}: {config.Describe()}, {model.ParameterCount:N0} values, {type.Name()}");
            return 0;
        });
        return cmd;
    }

    internal static DType ConvertCommandDtype(string s) => s.ToLowerInvariant() switch
    {
        "f32" or "fp32" or "float32" => DType.F32,
        "f16" or "fp16" or "float16" => DType.F16,
        "bf16" or "bfloat16" => DType.BF16,
        _ => throw new ArgumentException($"--dtype: expected f32, f16 or bf16, got '{s}'"),
    };
}
