namespace ClipSharp.IO;

/// <summary>Element types a checkpoint may store. Everything is converted to float32 when loaded.</summary>
public enum DType
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U8,
    Bool,
}

/// <summary>Names and sizes of <see cref="DType"/> values, in safetensors spelling ("F16", "I64", ...).</summary>
public static class DTypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this DType dtype) => dtype switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.F16 or DType.BF16 or DType.I16 => 2,
        _ => 1,
    };

    /// <summary>The safetensors name: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.</summary>
    public static string Name(this DType dtype) => dtype == DType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Parses a safetensors dtype name; false for names we cannot convert (e.g. F8_E4M3, U64).</summary>
    public static bool TryParse(string name, out DType dtype)
    {
        switch (name)
        {
            case "F64": dtype = DType.F64; return true;
            case "F32": dtype = DType.F32; return true;
            case "F16": dtype = DType.F16; return true;
            case "BF16": dtype = DType.BF16; return true;
            case "I64": dtype = DType.I64; return true;
            case "I32": dtype = DType.I32; return true;
            case "I16": dtype = DType.I16; return true;
            case "I8": dtype = DType.I8; return true;
            case "U8": dtype = DType.U8; return true;
            case "BOOL": dtype = DType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The dtype of a torch storage class name (HalfStorage, FloatStorage, ...); false if unknown.</summary>
    public static bool TryFromTorchStorage(string storageClass, out DType dtype)
    {
        switch (storageClass)
        {
            case "DoubleStorage": dtype = DType.F64; return true;
            case "FloatStorage": dtype = DType.F32; return true;
            case "HalfStorage": dtype = DType.F16; return true;
            case "BFloat16Storage": dtype = DType.BF16; return true;
            case "LongStorage": dtype = DType.I64; return true;
            case "IntStorage": dtype = DType.I32; return true;
            case "ShortStorage": dtype = DType.I16; return true;
            case "CharStorage": dtype = DType.I8; return true;
            case "ByteStorage": dtype = DType.U8; return true;
            case "BoolStorage": dtype = DType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>True for the floating-point types.</summary>
    public static bool IsFloat(this DType dtype) => dtype is DType.F64 or DType.F32 or DType.F16 or DType.BF16;
}
