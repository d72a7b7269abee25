using System.Text;
using ClipSharp.Tensors;

namespace ClipSharp.IO;

/// <summary>Writes a float32 tensor as a NumPy .npy file (format version 1.0, little-endian, C order), atomically.</summary>
public static class NpyWriter
{
    public static void Write(string path, Tensor tensor)
    {
        var t = tensor.Contiguous();
        string shape = t.Rank == 1 ? $"({t.Shape[0]},)" : "(" + string.Join(", ", t.Shape) + ")";
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in '\n'.
        int unpadded = 10 + dict.Length + 1;
        string header = dict + new string(' ', (64 - unpadded % 64) % 64) + "\n";
        var tmp = path + ".tmp";
        using (var s = File.Create(tmp))
        {
            s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
            s.Write(BitConverter.GetBytes((ushort)header.Length));
            s.Write(Encoding.ASCII.GetBytes(header));
            s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Span));
            s.Flush(true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
