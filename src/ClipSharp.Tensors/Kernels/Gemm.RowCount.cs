namespace ClipSharp.Tensors.Kernels;

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
