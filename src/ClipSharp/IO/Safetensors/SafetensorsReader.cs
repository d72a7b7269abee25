using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>Loads every tensor of a safetensors file into a <see cref="StateDict"/> (float32, header order).</summary>
internal static class SafetensorsReader
{
    public static StateDict Load(string path, string format = "safetensors", string detail = "")
    {
        using var file = SafetensorsFile.Open(path);
        var result = new StateDict { Source = path, Format = format, Detail = detail, Metadata = file.Metadata };
        foreach (var e in file.Header.Entries)
        {
            // Rank-0 tensors (torch scalars such as logit_scale) are given shape (1), as in OpenAI's files.
            var shape = e.Shape.Length == 0 ? [1] : e.Shape;
            var values = new float[e.Length];
            file.ReadFloat32(e.Name, values);
            result.Add(e.Name, new Tensor(values, shape), e.DType.Name());
        }
        return result;
    }
}
