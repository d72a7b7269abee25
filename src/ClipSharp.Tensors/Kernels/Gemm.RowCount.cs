namespace ClipSharp.Tensors.Kernels;

/// <summary>A micro-kernel that also computes tiles of fewer than <see cref="IMicroKernel.Mr"/> rows (the AVX-512 and AVX2 ones).</summary>
internal unsafe interface IRowTileKernel : IMicroKernel
{
    /// <summary>
    /// The first <typeparamref name="TRows"/> rows of <see cref="IMicroKernel.Run"/>'s tile, the same sums, from A rows
    /// <paramref name="s"/> floats apart (a packed panel, or row-major A read in place), written straight to C.
    /// </summary>
    static abstract void Tile<TRows>(int kc, float* a, nint s, float* b, float* c, nint ldc, bool add) where TRows : struct, IRowCount;
}

/// <summary>Runs a short last row tile with the kernel's specialisation for that row count.</summary>
internal static unsafe class RowTiles
{
    public static void Run<TKernel>(int rows, int kc, float* a, nint s, float* b, float* c, nint ldc, bool add) where TKernel : IRowTileKernel
    {
        if (rows < 1 || rows >= TKernel.Mr) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"1 to {TKernel.Mr - 1} rows");
        switch (rows)
        {
            case 1: TKernel.Tile<Rows1>(kc, a, s, b, c, ldc, add); break;
            case 2: TKernel.Tile<Rows2>(kc, a, s, b, c, ldc, add); break;
            case 3: TKernel.Tile<Rows3>(kc, a, s, b, c, ldc, add); break;
            case 4: TKernel.Tile<Rows4>(kc, a, s, b, c, ldc, add); break;
            case 5: TKernel.Tile<Rows5>(kc, a, s, b, c, ldc, add); break;
            case 6: TKernel.Tile<Rows6>(kc, a, s, b, c, ldc, add); break;
            case 7: TKernel.Tile<Rows7>(kc, a, s, b, c, ldc, add); break;
            case 8: TKernel.Tile<Rows8>(kc, a, s, b, c, ldc, add); break;
            case 9: TKernel.Tile<Rows9>(kc, a, s, b, c, ldc, add); break;
            case 10: TKernel.Tile<Rows10>(kc, a, s, b, c, ldc, add); break;
            case 11: TKernel.Tile<Rows11>(kc, a, s, b, c, ldc, add); break;
            case 12: TKernel.Tile<Rows12>(kc, a, s, b, c, ldc, add); break;
            default: TKernel.Tile<Rows13>(kc, a, s, b, c, ldc, add); break;
        }
    }
}

/// <summary>
/// A micro-kernel tile's row count as a type, so the JIT compiles one specialisation per count: the row
/// branches fold away and the unused accumulators vanish (a short last row tile costs only its own rows).
/// </summary>
internal interface IRowCount { static abstract int Rows { get; } }

internal readonly struct Rows1 : IRowCount { public static int Rows => 1; }
internal readonly struct Rows2 : IRowCount { public static int Rows => 2; }
internal readonly struct Rows3 : IRowCount { public static int Rows => 3; }
internal readonly struct Rows4 : IRowCount { public static int Rows => 4; }
internal readonly struct Rows5 : IRowCount { public static int Rows => 5; }
internal readonly struct Rows6 : IRowCount { public static int Rows => 6; }
internal readonly struct Rows7 : IRowCount { public static int Rows => 7; }
internal readonly struct Rows8 : IRowCount { public static int Rows => 8; }
internal readonly struct Rows9 : IRowCount { public static int Rows => 9; }
internal readonly struct Rows10 : IRowCount { public static int Rows => 10; }
internal readonly struct Rows11 : IRowCount { public static int Rows => 11; }
internal readonly struct Rows12 : IRowCount { public static int Rows => 12; }
internal readonly struct Rows13 : IRowCount { public static int Rows => 13; }
internal readonly struct Rows14 : IRowCount { public static int Rows => 14; }
