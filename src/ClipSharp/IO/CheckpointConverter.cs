namespace ClipSharp.IO;

/// <summary>Which tensor names to write.</summary>
public enum Naming
{
    /// <summary>OpenAI/OpenCLIP names (visual.conv1.weight, transformer.resblocks.0.attn.in_proj_weight, ...).</summary>
    OpenAI,
    /// <summary>Hugging Face CLIPModel names (vision_model.embeddings.patch_embedding.weight, ...); ViT only.</summary>
    HuggingFace,
}

/// <summary>What a conversion read (<paramref name="Loaded"/>, with OpenAI names) and wrote.</summary>
public sealed record ConversionResult(StateDict Loaded, StateDict Written, DType DType, Naming Naming);

/// <summary>Converts any checkpoint <see cref="CheckpointLoader"/> reads into a safetensors file.</summary>
public static class CheckpointConverter
{
    /// <summary>
    /// Loads <paramref name="input"/>, renames to <paramref name="naming"/> and writes
    /// <paramref name="outputSafetensors"/> atomically with floats stored as <paramref name="dtype"/>
    /// (F32, F16 or BF16; integer tensors keep their dtype).
    /// </summary>
    public static ConversionResult Convert(string input, string outputSafetensors, Naming naming, DType dtype = DType.F32)
    {
        if (dtype is not (DType.F32 or DType.F16 or DType.BF16))
            throw new ArgumentException($"output dtype {dtype.Name()}; expected F32, F16 or BF16");
        var loaded = CheckpointLoader.Load(input);
        var output = naming == Naming.HuggingFace ? HfClipNames.ToHf(loaded) : loaded;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pt",
            ["converted_by"] = "clipsharp",
            ["source_format"] = loaded.Format,
            ["naming"] = naming == Naming.HuggingFace ? "huggingface" : "openai",
        };
        SafetensorsWriter.Write(outputSafetensors, output, dtype, metadata);
        return new ConversionResult(loaded, output, dtype, naming);
    }
}
