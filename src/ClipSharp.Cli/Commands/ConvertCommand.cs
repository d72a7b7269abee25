using System.CommandLine;
using ClipSharp.IO;

namespace ClipSharp.Cli.Commands;

/// <summary><c>clipsharp convert IN OUT.safetensors [--naming openai|hf] [--dtype f32|f16|bf16]</c>.</summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input")
        {
            Description = "Checkpoint to read: safetensors, torch.save .pt/.bin, TorchScript .pt, or a Hugging Face CLIPModel directory",
        };
        var output = new Argument<string>("output") { Description = "safetensors file to write (replaced atomically)" };
        var naming = new Option<string>("--naming")
        {
            Description = "Tensor names to write: openai (OpenAI/OpenCLIP) or hf (Hugging Face CLIPModel, ViT only)",
            DefaultValueFactory = _ => "openai",
        };
        naming.AcceptOnlyFromAmong("openai", "hf");
        var dtype = new Option<string>("--dtype")
        {
            Description = "Storage type for floating-point tensors",
            DefaultValueFactory = _ => "f32",
        };
        dtype.AcceptOnlyFromAmong("f32", "f16", "bf16");

        var command = new Command("convert", "Convert a CLIP checkpoint to safetensors") { input, output, naming, dtype };
        command.SetAction(parse =>
        {
            var inPath = CommandHelpers.RequireFile(parse.GetValue(input)!, "input");
            var outPath = parse.GetValue(output)!;
            var n = parse.GetValue(naming) == "hf" ? Naming.HuggingFace : Naming.OpenAI;
            var d = parse.GetValue(dtype) switch { "f16" => DType.F16, "bf16" => DType.BF16, _ => DType.F32 };
            var result = CheckpointConverter.Convert(inPath, outPath, n, d);
            Console.WriteLine($"read {inPath}: {result.Loaded.Describe()}");
            Console.WriteLine($"wrote {outPath}: {result.Written.Count} tensors, floats as {d.Name()}, {(n == Naming.HuggingFace ? "Hugging Face" : "OpenAI")} names");
            return 0;
        });
        return command;
    }
}
