using System.CommandLine;
using System.Text.Json;
using ClipSharp.Models;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp info --model PATH`: architecture, parameter count, dtype and format.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var model = ModelOptions.ModelOption(required: true);
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("info", "Describe a checkpoint without running it.") { model, json };
        cmd.SetAction(parse =>
        {
            var path = HubModelArgument.Resolve(parse.GetValue(model)!);
            var info = ModelLoader.Inspect(path);
            ModelOptions.ReportWarnings(info.Warnings ?? []);
            var c = info.Config;
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    path = info.Path,
                    format = info.Format,
                    architecture = c.Describe(),
                    vision = c.Vision is VitConfig ? "vit" : "resnet",
                    image_size = c.Vision.ImageSize,
                    embed_dim = c.EmbedDim,
                    context_length = c.Text.ContextLength,
                    vocab_size = c.Text.VocabSize,
                    activation = c.Activation.ToString(),
                    parameters = info.ParameterCount,
                    dtypes = info.Dtypes,
                    fp32_megabytes = info.ParameterCount * 4 / 1e6,
                }));
                return 0;
            }
            Console.WriteLine($"path:         {info.Path}");
            Console.WriteLine($"format:       {info.Format}");
            Console.WriteLine($"architecture: {c.Describe()}");
            Console.WriteLine($"parameters:   {info.ParameterCount:N0} ({info.ParameterCount * 4 / 1e6:F1} MB as float32)");
            Console.WriteLine($"stored as:    {info.Dtypes}");
            return 0;
        });
        return cmd;
    }
}
