namespace ClipSharp.Tensors;

/// <summary>
/// A float32 tensor: a shape, row-major strides and a window into a float array. Views (Reshape,
/// Slice) share storage; kernels take spans, so most code works on <see cref="Span"/> of a
/// contiguous tensor. fp16/bf16 checkpoint data is converted to float32 when loaded.
/// </summary>
public sealed class Tensor
{
    /// <summary>Backing storage; shared between views.</summary>
    public float[] Storage { get; }

    /// <summary>Index of element [0,0,...] in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>Size of each dimension.</summary>
    public int[] Shape { get; }

    /// <summary>Elements to skip per step in each dimension.</summary>
    public int[] Strides { get; }

    /// <summary>Total number of elements.</summary>
    public int Length { get; }

    public Tensor(params int[] shape) : this(new float[Product(shape)], 0, shape, RowMajorStrides(shape)) { }

    /// <summary>
    /// A tensor whose contents are garbage until written: for outputs a kernel overwrites entirely,
    /// where zeroing megabytes of activations per layer would be wasted memory traffic.
    /// </summary>
    public static Tensor Uninitialized(params int[] shape) =>
        new(GC.AllocateUninitializedArray<float>(Product(shape)), 0, shape, RowMajorStrides(shape));

    /// <summary>An uninitialised tensor on <paramref name="pool"/>'s array (possibly longer than the tensor).</summary>
    internal static Tensor Rent(System.Buffers.ArrayPool<float> pool, int[] shape) =>
        new(pool.Rent(Product(shape)), 0, shape, RowMajorStrides(shape));

    public Tensor(float[] data, params int[] shape) : this(data, 0, shape, RowMajorStrides(shape))
    {
        if (data.Length != Length)
            throw new ArgumentException($"data has {data.Length} elements but shape ({string.Join(", ", shape)}) needs {Length}");
    }

    public Tensor(float[] storage, int offset, int[] shape, int[] strides)
    {
        if (shape.Length != strides.Length) throw new ArgumentException("shape and strides differ in rank");
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"negative dimension in shape ({string.Join(", ", shape)})");
        Storage = storage;
        Offset = offset;
        Shape = shape;
        Strides = strides;
        Length = Product(shape);
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Size of dimension <paramref name="dim"/>; negative counts from the end.</summary>
    public int Dim(int dim) => Shape[dim < 0 ? Shape.Length + dim : dim];

    /// <summary>True when elements are laid out densely in row-major order.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && Strides[i] != expected) return false;
                expected *= Shape[i];
            }
            return true;
        }
    }

    /// <summary>The elements of a contiguous tensor.</summary>
    public Span<float> Span => IsContiguous
        ? Storage.AsSpan(Offset, Length)
        : throw new InvalidOperationException("tensor is not contiguous; call Contiguous() first");

    /// <summary>This tensor if contiguous, else a dense copy.</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        var result = new Tensor(Shape);
        var dst = result.Span;
        var index = new int[Rank];
        for (int i = 0; i < Length; i++)
        {
            int src = Offset;
            for (int d = 0; d < Rank; d++) src += index[d] * Strides[d];
            dst[i] = Storage[src];
            for (int d = Rank - 1; d >= 0; d--)
            {
                if (++index[d] < Shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    /// <summary>A view with a new shape (one dimension may be -1); the tensor must be contiguous.</summary>
    public Tensor Reshape(params int[] shape)
    {
        shape = (int[])shape.Clone();
        int known = 1, infer = -1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == -1) infer = i; else known *= shape[i];
        }
        if (infer >= 0) shape[infer] = known == 0 ? 0 : Length / known;
        if (Product(shape) != Length)
            throw new ArgumentException($"cannot reshape ({string.Join(", ", Shape)}) to ({string.Join(", ", shape)})");
        var source = Contiguous();
        return new Tensor(source.Storage, source.Offset, shape, RowMajorStrides(shape));
    }

    /// <summary>A view of rows [start, start+count) along dimension 0.</summary>
    public Tensor Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"slice [{start}, {start + count}) outside dimension of size {Shape[0]}");
        var shape = (int[])Shape.Clone();
        shape[0] = count;
        return new Tensor(Storage, Offset + start * Strides[0], shape, (int[])Strides.Clone());
    }

    /// <summary>A view with dimensions <paramref name="a"/> and <paramref name="b"/> swapped.</summary>
    public Tensor Transpose(int a, int b)
    {
        var shape = (int[])Shape.Clone();
        var strides = (int[])Strides.Clone();
        (shape[a], shape[b]) = (shape[b], shape[a]);
        (strides[a], strides[b]) = (strides[b], strides[a]);
        return new Tensor(Storage, Offset, shape, strides);
    }

    /// <summary>A dense copy.</summary>
    public Tensor Clone()
    {
        // A non-contiguous tensor's Contiguous() is already a fresh copy: never copy it twice.
        if (!IsContiguous) return new Tensor(Contiguous().Storage, (int[])Shape.Clone());
        return new Tensor(Span.ToArray(), (int[])Shape.Clone());
    }

    /// <summary>Element access by full index (slow; for tests and debugging).</summary>
    public float this[params int[] index]
    {
        get => Storage[FlatIndex(index)];
        set => Storage[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank) throw new ArgumentException($"index has {index.Length} dims, tensor has {Rank}");
        int at = Offset;
        for (int d = 0; d < Rank; d++)
        {
            if ((uint)index[d] >= (uint)Shape[d]) throw new IndexOutOfRangeException($"index {index[d]} out of range for dim {d} of size {Shape[d]}");
            at += index[d] * Strides[d];
        }
        return at;
    }

    /// <summary>"(2, 3, 4)".</summary>
    public string ShapeString => FormatShape(Shape);

    public override string ToString() => $"Tensor{ShapeString}";

    public static string FormatShape(IReadOnlyList<int> shape) => "(" + string.Join(", ", shape) + ")";

    /// <summary>
    /// The element count of <paramref name="shape"/>. Every partial product is checked against
    /// <see cref="Array.MaxLength"/> (so it can never wrap: (20, 5581, 8681, 49477, 384773) is refused, not 4);
    /// a zero dimension anywhere makes the product 0.
    /// </summary>
    public static int Product(IReadOnlyList<int> shape) =>
        TryProduct(shape, out int n) ? n : throw new ArgumentException($"shape {FormatShape(shape)} has too many elements (more than {Array.MaxLength})");

    /// <summary><see cref="Product"/> without throwing: false when a dimension is negative or the count exceeds <see cref="Array.MaxLength"/>.</summary>
    public static bool TryProduct(IReadOnlyList<int> shape, out int count)
    {
        count = 0;
        for (int i = 0; i < shape.Count; i++)
        {
            if (shape[i] < 0) return false;
            if (shape[i] == 0) return true;
        }
        long n = 1;
        for (int i = 0; i < shape.Count; i++)
        {
            n *= shape[i]; // both factors are <= Array.MaxLength < 2^31 here, so this cannot wrap
            if (n > Array.MaxLength) return false;
        }
        count = (int)n;
        return true;
    }

    public static int[] RowMajorStrides(IReadOnlyList<int> shape)
    {
        var strides = new int[shape.Count];
        int s = 1;
        for (int i = shape.Count - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }
}
