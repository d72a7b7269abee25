using ClipSharp.IO;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClipSharp.Imaging;
using ClipSharp.Imaging.Preprocessing;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// <c>clipsharp preprocess</c>: decodes images and writes CLIP's preprocessed pixels as a float32
/// safetensors tensor <c>pixel_values</c> of shape (N, 3, R, R), in the order the images were given.
/// </summary>
public static class PreprocessCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Image files (PNG, BMP, GIF, JPEG).", Arity = ArgumentArity.OneOrMore };
        var size = new Option<int?>("--size") { Description = "Output side R (resize the shorter side to R, then center crop R×R)." };
        var mean = new Option<string?>("--mean") { Description = "Per-channel mean a,b,c (default: OpenAI CLIP's)." };
        var std = new Option<string?>("--std") { Description = "Per-channel std a,b,c (default: OpenAI CLIP's)." };
        var interpolation = new Option<string>("--interpolation")
        {
            Description = "bicubic (CLIP) or bilinear.",
            DefaultValueFactory = _ => "bicubic",
        };
        var resizeMode = new Option<string>("--resize-mode")
        {
            Description = "shortest (CLIP), longest (pad to square) or squash.",
            DefaultValueFactory = _ => "shortest",
        };
        var hfConfig = new Option<string?>("--hf-config")
        {
            Description = "Take every setting from a Hugging Face preprocessor_config.json instead.",
        };
        var exif = new Option<bool>("--exif-orientation")
        {
            Description = "Rotate/flip by the EXIF orientation first (the CLIP reference does not).",
        };
        var output = new Option<string>("--out") { Description = "Output .safetensors file.", Required = true };

        var command = new Command("preprocess", "Decode and preprocess images into CLIP pixel_values (N, 3, R, R) float32 safetensors.")
        {
            images, size, mean, std, interpolation, resizeMode, hfConfig, exif, output,
        };
        command.SetAction(parse =>
        {
            var config = BuildConfig(parse.GetValue(size), parse.GetValue(mean), parse.GetValue(std),
                parse.GetValue(interpolation)!, parse.GetValue(resizeMode)!, parse.GetValue(hfConfig));
            var paths = parse.GetValue(images)!;
            foreach (var p in paths) CommandHelpers.RequireFile(p, "images");
            var pre = new Preprocessor(config);
            int r = pre.OutputSize;
            string outPath = parse.GetValue(output)!;
            var metadata = new Dictionary<string, string> { ["images"] = JsonSerializer.Serialize(paths) };
            var pixels = new ClipSharp.Tensors.Tensor(paths.Length, 3, r, r);
            for (int i = 0; i < paths.Length; i++)
            {
                var frame = ImageDecoder.Decode(paths[i]);
                if (parse.GetValue(exif)) frame = Orientation.ApplyOrientation(frame);
                pre.Preprocess(frame, pixels.Span.Slice(i * pre.OutputLength, pre.OutputLength));
            }
            SafetensorsWriter.Write(outPath, [new SafetensorsItem("pixel_values", pixels, DType.F32)], metadata);
            parse.InvocationConfiguration.Output.WriteLine($"wrote pixel_values ({paths.Length}, 3, {r}, {r}) to {outPath}");
            return 0;
        });
        return command;
    }

    private static PreprocessConfig BuildConfig(int? size, string? mean, string? std, string interpolation, string resizeMode, string? hfConfig)
    {
        if (hfConfig != null)
        {
            if (size != null || mean != null || std != null)
                throw new ArgumentException("--hf-config cannot be combined with --size, --mean or --std");
            return PreprocessConfig.FromHuggingFace(CommandHelpers.RequireFile(hfConfig, "--hf-config"));
        }
        if (size is not { } s) throw new ArgumentException("preprocess: give --size R (or --hf-config)");
        return PreprocessConfig.FromOpenClip(s, ParseTriple(mean, "--mean"), ParseTriple(std, "--std"), interpolation, resizeMode);
    }

    private static double[]? ParseTriple(string? text, string option)
    {
        if (text == null) return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 3)
            throw new ArgumentException($"{option} needs three comma-separated numbers, got '{text}'");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new ArgumentException($"{option}: '{p}' is not a number")).ToArray();
    }
}
