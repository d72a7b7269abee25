using System.CommandLine;
using System.Globalization;
using ClipSharp.IO;
using ClipSharp.Tensors;
using ClipSharp.Training;

namespace ClipSharp.Cli.Commands;

/// <summary>`clipsharp debug ...`: tools for comparing ClipSharp with a reference implementation.</summary>
internal static class DebugCommand
{
    public static Command Create() => new("debug", "Tools for comparing ClipSharp with a reference implementation.") { TrainSteps() };

    private static Command TrainSteps()
    {
        var model = ModelOptions.ModelOption(required: true);
        var config = new Option<string?>("--config") { Description = "OpenCLIP config JSON, when the weights alone cannot tell (e.g. exact GELU)" };
        var pixels = new Option<string>("--pixels") { Description = "float32 (N,3,R,R) tensor: FILE.safetensors[:name] (default name pixel_values)", Required = true };
        var tokens = new Option<string>("--tokens") { Description = "int32/int64 (N,L) tensor: FILE.safetensors[:name] (default name tokens)", Required = true };
        var batch = ModelOptions.BatchOption("Pairs: the first N rows of each", 8);
        var steps = new Option<int>("--steps") { Description = "AdamW steps on that batch", DefaultValueFactory = _ => 3 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-3 };
        var wd = new Option<double>("--wd") { Description = "Weight decay (2-D weights, not norms/biases/logit_scale)", DefaultValueFactory = _ => 0.2 };
        var output = new Option<string>("--out") { Description = "Output .safetensors: loss0, grad.*, token_embedding.rows, losses, after.*", Required = true };
        var threads = ModelOptions.ThreadsOption();
        var cmd = new Command("train-steps",
            "Record the loss, every gradient and a few AdamW steps on one batch, in the layout of the reference fixtures' training.safetensors.")
        {
            model, config, pixels, tokens, batch, steps, lr, wd, output, threads,
        };
        cmd.SetAction(parse =>
        {
            var clip = ModelLoader.Load(HubModelArgument.Resolve(parse.GetValue(model)!),
                parse.GetValue(config) is { } c ? Models.ModelConfigs.FromOpenClipFile(CommandHelpers.RequireFile(c, "--config")) : null);
            int n = parse.GetValue(batch), l = clip.Config.Text.ContextLength;
            if (n < 1) throw new ArgumentException("--batch must be at least 1");

            var (pixelFile, pixelName) = EmbedCommand.SplitSpec(parse.GetValue(pixels)!, "pixel_values", "--pixels");
            Tensor px;
            using (var st = SafetensorsFile.Open(pixelFile))
            {
                px = st.ReadTensor(pixelName);
                int r = clip.Config.Vision.ImageSize;
                if (px.Rank != 4 || px.Shape[1] != 3 || px.Shape[2] != r || px.Shape[3] != r || px.Shape[0] < n)
                    throw new ArgumentException($"{pixelFile}: '{pixelName}' has shape {Tensor.FormatShape(px.Shape)}, expected at least ({n}, 3, {r}, {r})");
            }
            var (tokenFile, tokenName) = EmbedCommand.SplitSpec(parse.GetValue(tokens)!, "tokens", "--tokens");
            int[] ids;
            using (var st = SafetensorsFile.Open(tokenFile))
            {
                var shape = st.Shape(tokenName);
                if (shape.Length != 2 || shape[1] != l || shape[0] < n)
                    throw new ArgumentException($"{tokenFile}: '{tokenName}' has shape {Tensor.FormatShape(shape)}, expected at least ({n}, {l})");
                ids = st.ReadInt32(tokenName)[..(n * l)];
            }

            var options = new TrainingOptions
            {
                Optimizer = new AdamWOptions { LearningRate = parse.GetValue(lr), WeightDecay = parse.GetValue(wd) },
            };
            var trace = TrainingTrace.Record(clip, px.Slice(0, n).Clone(), ids, parse.GetValue(steps), options, new ComputeContext(parse.GetValue(threads)));
            var metadata = new Dictionary<string, string>
            {
                ["batch"] = n.ToString(CultureInfo.InvariantCulture),
                ["steps"] = parse.GetValue(steps).ToString(CultureInfo.InvariantCulture),
                ["lr"] = parse.GetValue(lr).ToString(CultureInfo.InvariantCulture),
                ["optimizer"] = string.Create(CultureInfo.InvariantCulture,
                    $"AdamW betas=(0.9,0.98) eps=1e-6 wd={parse.GetValue(wd)} (ndim>=2 and not bn/ln/bias/logit_scale)"),
            };
            var outPath = parse.GetValue(output)!;
            SafetensorsWriter.Write(outPath, trace.Select(t => new SafetensorsItem(t.Name, t.Value, t.Integer ? DType.I32 : DType.F32)), metadata);
            var losses = trace.First(t => t.Name == "losses").Value.Span.ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"loss0 {trace[0].Value.Span[0]:R}; losses {string.Join(", ", losses.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))}; wrote {trace.Count} tensors to {outPath}"));
            return 0;
        });
        return cmd;
    }
}
