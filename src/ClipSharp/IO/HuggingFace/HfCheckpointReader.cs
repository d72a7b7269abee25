using System.Text.Json;

namespace ClipSharp.IO;

/// <summary>
/// Loads a Hugging Face CLIPModel directory: config.json plus model.safetensors, a sharded
/// model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json (first found, in
/// that order). Names are mapped to OpenAI names and checked against the config.
/// </summary>
internal static class HfCheckpointReader
{
    public static StateDict Load(string directory)
    {
        var configPath = Path.Combine(directory, "config.json");
        var config = HfClipConfig.Load(configPath);
        var (files, format) = WeightFiles(directory);
        var raw = new StateDict { Source = directory, Format = format };
        foreach (var file in files)
        {
            var part = format == "hf-safetensors" ? SafetensorsReader.Load(file) : LoadTorch(file);
            foreach (var name in part.Names) raw.Add(name, part[name], part.StoredDtype(name));
        }
        string weights = files.Count == 1 ? Path.GetFileName(files[0]) : $"{files.Count} shards";
        var mapped = HfClipNames.ToOpenAi(raw, format, $"Hugging Face CLIPModel directory, {weights}, names mapped to OpenAI", config);
        CheckAgainstConfig(configPath, mapped, config);
        return mapped;
    }

    private static StateDict LoadTorch(string file)
    {
        using var archive = TorchArchive.Open(file);
        return TorchSaveReader.Load(archive);
    }

    private static (List<string> Files, string Format) WeightFiles(string directory)
    {
        var st = Path.Combine(directory, "model.safetensors");
        if (File.Exists(st)) return ([st], "hf-safetensors");
        var stIndex = Path.Combine(directory, "model.safetensors.index.json");
        if (File.Exists(stIndex)) return (Shards(directory, stIndex), "hf-safetensors");
        var bin = Path.Combine(directory, "pytorch_model.bin");
        if (File.Exists(bin)) return ([bin], "hf-pytorch");
        var binIndex = Path.Combine(directory, "pytorch_model.bin.index.json");
        if (File.Exists(binIndex)) return (Shards(directory, binIndex), "hf-pytorch");
        throw new CheckpointException(directory,
            "Hugging Face directory has config.json but no weights; expected model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json");
    }

    /// <summary>The distinct shard files named by an index's weight_map, in first-use order.</summary>
    private static List<string> Shards(string directory, string index)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(index));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(index, "missing object 'weight_map'");
            var files = new List<string>();
            foreach (var p in map.EnumerateObject())
            {
                var name = p.Value.GetString() ?? "";
                if (name.Length == 0 || name.Contains('/') || name.Contains('\\') || name.Contains(".."))
                    throw new CheckpointException(index, $"weight_map['{p.Name}'] = '{name}'; expected a file name in the same directory");
                var full = Path.Combine(directory, name);
                if (!files.Contains(full)) files.Add(full);
            }
            return files;
        }
        catch (JsonException e)
        {
            throw new CheckpointException(index, $"not valid JSON: {e.Message}", e);
        }
    }

    private static void CheckAgainstConfig(string configPath, StateDict sd, HfClipConfig c)
    {
        Expect("visual.conv1.weight", [c.Vision.HiddenSize, c.Vision.NumChannels, c.Vision.PatchSize, c.Vision.PatchSize]);
        Expect("visual.positional_embedding", [c.Vision.GridSize * c.Vision.GridSize + 1, c.Vision.HiddenSize]);
        Expect("token_embedding.weight", [c.Text.VocabSize, c.Text.HiddenSize]);
        Expect("positional_embedding", [c.Text.MaxPositionEmbeddings, c.Text.HiddenSize]);
        Expect("visual.proj", [c.Vision.HiddenSize, c.ProjectionDim]);
        Expect("text_projection", [c.Text.HiddenSize, c.ProjectionDim]);
        Layers("visual.transformer.resblocks.", c.Vision.NumHiddenLayers, "vision_config.num_hidden_layers");
        Layers("transformer.resblocks.", c.Text.NumHiddenLayers, "text_config.num_hidden_layers");

        void Expect(string name, int[] shape)
        {
            var t = sd[name];
            if (!t.Shape.SequenceEqual(shape))
                throw new CheckpointException(configPath, $"tensor '{name}' has shape {t.ShapeString} but config.json implies {ClipSharp.Tensors.Tensor.FormatShape(shape)}");
        }

        void Layers(string prefix, int expected, string field)
        {
            int found = sd.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Select(n => n[prefix.Length..].Split('.')[0]).Distinct().Count();
            if (found != expected)
                throw new CheckpointException(configPath, $"{field} is {expected} but the weights hold {found} layers under '{prefix}'");
        }
    }
}
