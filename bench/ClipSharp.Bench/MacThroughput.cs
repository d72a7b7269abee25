using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Bench;

/// <summary>
/// Multiply-accumulate throughput of one core in each inner-loop shape the GEMM kernels use, on operands in L1:
/// the fp32 FMA 6x16 tile step, the int8-as-int16 VPMADDWD step (AVX2 without VNNI) and the u8 x s8 VPMADDUBSW +
/// VPMADDWD step some libraries use. It says how much int8 can pay over fp32 on this CPU at best (on AMD Zen 1
/// the integer multiplies share the FMA pipes' throughput, so the answer there is about 1.15x).
/// </summary>
internal static unsafe class MacThroughput
{
    private const int Steps = 4_000_000;

    public static void Run()
    {
        if (!Avx2.IsSupported || !Fma.IsSupported) { Console.WriteLine("AVX2 + FMA not supported: nothing to measure"); return; }
        int* data = (int*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(4096, 64);
        try
        {
            for (int i = 0; i < 1024; i++) data[i] = 0x01010101;
            Report("fp32 FMA 6x16 step", 96, () => Fma12((float*)data, (float*)data + 64));
            Report("int16 VPMADDWD 6x16x2 step", 192, () => Madd12(data, (short*)(data + 64)));
            Report("u8s8 VPMADDUBSW+VPMADDWD 6x16x4 step", 384, () => Ubs12(data, (sbyte*)(data + 64)));
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.AlignedFree(data);
        }
    }

    private static void Report(string name, double macsPerStep, Func<object> run)
    {
        run();
        double best = double.MaxValue;
        for (int r = 0; r < 5; r++)
        {
            var sw = Stopwatch.StartNew();
            run();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"{name,-40} {macsPerStep * Steps / best / 1e9,6:F1} G MAC/s per core");
    }

    // Six broadcast rows times two B vectors per step, twelve independent accumulators, as in the kernels.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> Fma12(float* a, float* b)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Steps; i++)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c0 = Fma.MultiplyAdd(x, b0, c0); c1 = Fma.MultiplyAdd(x, b1, c1);
            x = Vector256.Create(a[1]); c2 = Fma.MultiplyAdd(x, b0, c2); c3 = Fma.MultiplyAdd(x, b1, c3);
            x = Vector256.Create(a[2]); c4 = Fma.MultiplyAdd(x, b0, c4); c5 = Fma.MultiplyAdd(x, b1, c5);
            x = Vector256.Create(a[3]); c6 = Fma.MultiplyAdd(x, b0, c6); c7 = Fma.MultiplyAdd(x, b1, c7);
            x = Vector256.Create(a[4]); c8 = Fma.MultiplyAdd(x, b0, c8); c9 = Fma.MultiplyAdd(x, b1, c9);
            x = Vector256.Create(a[5]); c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> Madd12(int* a, short* b)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (int i = 0; i < Steps; i++)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 16);
            var x = Vector256.Create(a[0]).AsInt16(); c0 = Avx2.Add(c0, Avx2.MultiplyAddAdjacent(x, b0)); c1 = Avx2.Add(c1, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(a[1]).AsInt16(); c2 = Avx2.Add(c2, Avx2.MultiplyAddAdjacent(x, b0)); c3 = Avx2.Add(c3, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(a[2]).AsInt16(); c4 = Avx2.Add(c4, Avx2.MultiplyAddAdjacent(x, b0)); c5 = Avx2.Add(c5, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(a[3]).AsInt16(); c6 = Avx2.Add(c6, Avx2.MultiplyAddAdjacent(x, b0)); c7 = Avx2.Add(c7, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(a[4]).AsInt16(); c8 = Avx2.Add(c8, Avx2.MultiplyAddAdjacent(x, b0)); c9 = Avx2.Add(c9, Avx2.MultiplyAddAdjacent(x, b1));
            x = Vector256.Create(a[5]).AsInt16(); c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(x, b0)); c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(x, b1));
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }

    // u8 x s8 pairs to s16 (saturating), then pairs of s16 to s32 via madd with ones: 4 MACs per int32 lane per op pair.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector256<int> Ubs12(int* a, sbyte* b)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        var ones = Vector256.Create((short)1);
        for (int i = 0; i < Steps; i++)
        {
            var b0 = Vector256.Load(b); var b1 = Vector256.Load(b + 32);
            var x = Vector256.Create(a[0]).AsByte(); c0 = Avx2.Add(c0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones)); c1 = Avx2.Add(c1, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones));
            x = Vector256.Create(a[1]).AsByte(); c2 = Avx2.Add(c2, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones)); c3 = Avx2.Add(c3, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones));
            x = Vector256.Create(a[2]).AsByte(); c4 = Avx2.Add(c4, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones)); c5 = Avx2.Add(c5, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones));
            x = Vector256.Create(a[3]).AsByte(); c6 = Avx2.Add(c6, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones)); c7 = Avx2.Add(c7, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones));
            x = Vector256.Create(a[4]).AsByte(); c8 = Avx2.Add(c8, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones)); c9 = Avx2.Add(c9, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones));
            x = Vector256.Create(a[5]).AsByte(); c10 = Avx2.Add(c10, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones)); c11 = Avx2.Add(c11, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones));
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }
}
