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
            if (Avx512BW.IsSupported)
            {
                Report("fp32 FMA zmm 14x32 step", 448, () => Fma28((float*)data, (float*)data + 64));
                Report("int16 VPMADDWD zmm 6x64x2 step", 768, () => Madd24(data, (short*)(data + 64)));
                Report("u8s8 VPMADDUBSW+VPMADDWD zmm 6x64x4 step", 1536, () => Ubs24(data, (sbyte*)(data + 64)));
            }
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

    // The AVX-512 fp32 kernel's step: 14 broadcast rows times two B vectors, 28 accumulators.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<float> Fma28(float* a, float* b)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default,
            c7 = default, c8 = default, c9 = default, c10 = default, c11 = default, c12 = default, c13 = default,
            d0 = default, d1 = default, d2 = default, d3 = default, d4 = default, d5 = default, d6 = default,
            d7 = default, d8 = default, d9 = default, d10 = default, d11 = default, d12 = default, d13 = default;
        for (int i = 0; i < Steps; i++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c0 = Avx512F.FusedMultiplyAdd(x, b0, c0); d0 = Avx512F.FusedMultiplyAdd(x, b1, d0);
            x = Vector512.Create(a[1]); c1 = Avx512F.FusedMultiplyAdd(x, b0, c1); d1 = Avx512F.FusedMultiplyAdd(x, b1, d1);
            x = Vector512.Create(a[2]); c2 = Avx512F.FusedMultiplyAdd(x, b0, c2); d2 = Avx512F.FusedMultiplyAdd(x, b1, d2);
            x = Vector512.Create(a[3]); c3 = Avx512F.FusedMultiplyAdd(x, b0, c3); d3 = Avx512F.FusedMultiplyAdd(x, b1, d3);
            x = Vector512.Create(a[4]); c4 = Avx512F.FusedMultiplyAdd(x, b0, c4); d4 = Avx512F.FusedMultiplyAdd(x, b1, d4);
            x = Vector512.Create(a[5]); c5 = Avx512F.FusedMultiplyAdd(x, b0, c5); d5 = Avx512F.FusedMultiplyAdd(x, b1, d5);
            x = Vector512.Create(a[6]); c6 = Avx512F.FusedMultiplyAdd(x, b0, c6); d6 = Avx512F.FusedMultiplyAdd(x, b1, d6);
            x = Vector512.Create(a[7]); c7 = Avx512F.FusedMultiplyAdd(x, b0, c7); d7 = Avx512F.FusedMultiplyAdd(x, b1, d7);
            x = Vector512.Create(a[8]); c8 = Avx512F.FusedMultiplyAdd(x, b0, c8); d8 = Avx512F.FusedMultiplyAdd(x, b1, d8);
            x = Vector512.Create(a[9]); c9 = Avx512F.FusedMultiplyAdd(x, b0, c9); d9 = Avx512F.FusedMultiplyAdd(x, b1, d9);
            x = Vector512.Create(a[10]); c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); d10 = Avx512F.FusedMultiplyAdd(x, b1, d10);
            x = Vector512.Create(a[11]); c11 = Avx512F.FusedMultiplyAdd(x, b0, c11); d11 = Avx512F.FusedMultiplyAdd(x, b1, d11);
            x = Vector512.Create(a[12]); c12 = Avx512F.FusedMultiplyAdd(x, b0, c12); d12 = Avx512F.FusedMultiplyAdd(x, b1, d12);
            x = Vector512.Create(a[13]); c13 = Avx512F.FusedMultiplyAdd(x, b0, c13); d13 = Avx512F.FusedMultiplyAdd(x, b1, d13);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13
            + d0 + d1 + d2 + d3 + d4 + d5 + d6 + d7 + d8 + d9 + d10 + d11 + d12 + d13;
    }

    // Six broadcast rows times four zmm B vectors (four 16-output panels), 24 accumulators.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<int> Madd24(int* a, short* b)
    {
        Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default,
            c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default,
            c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        for (int i = 0; i < Steps; i++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 32); var b2 = Vector512.Load(b + 64); var b3 = Vector512.Load(b + 96);
            var x = Vector512.Create(a[0]).AsInt16();
            c00 += Avx512BW.MultiplyAddAdjacent(x, b0); c01 += Avx512BW.MultiplyAddAdjacent(x, b1); c02 += Avx512BW.MultiplyAddAdjacent(x, b2); c03 += Avx512BW.MultiplyAddAdjacent(x, b3);
            x = Vector512.Create(a[1]).AsInt16();
            c10 += Avx512BW.MultiplyAddAdjacent(x, b0); c11 += Avx512BW.MultiplyAddAdjacent(x, b1); c12 += Avx512BW.MultiplyAddAdjacent(x, b2); c13 += Avx512BW.MultiplyAddAdjacent(x, b3);
            x = Vector512.Create(a[2]).AsInt16();
            c20 += Avx512BW.MultiplyAddAdjacent(x, b0); c21 += Avx512BW.MultiplyAddAdjacent(x, b1); c22 += Avx512BW.MultiplyAddAdjacent(x, b2); c23 += Avx512BW.MultiplyAddAdjacent(x, b3);
            x = Vector512.Create(a[3]).AsInt16();
            c30 += Avx512BW.MultiplyAddAdjacent(x, b0); c31 += Avx512BW.MultiplyAddAdjacent(x, b1); c32 += Avx512BW.MultiplyAddAdjacent(x, b2); c33 += Avx512BW.MultiplyAddAdjacent(x, b3);
            x = Vector512.Create(a[4]).AsInt16();
            c40 += Avx512BW.MultiplyAddAdjacent(x, b0); c41 += Avx512BW.MultiplyAddAdjacent(x, b1); c42 += Avx512BW.MultiplyAddAdjacent(x, b2); c43 += Avx512BW.MultiplyAddAdjacent(x, b3);
            x = Vector512.Create(a[5]).AsInt16();
            c50 += Avx512BW.MultiplyAddAdjacent(x, b0); c51 += Avx512BW.MultiplyAddAdjacent(x, b1); c52 += Avx512BW.MultiplyAddAdjacent(x, b2); c53 += Avx512BW.MultiplyAddAdjacent(x, b3);
        }
        return c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33 + c40 + c41 + c42 + c43 + c50 + c51 + c52 + c53;
    }

    // The u8 x s8 step in zmm: six rows times four B vectors.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static Vector512<int> Ubs24(int* a, sbyte* b)
    {
        Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default,
            c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default,
            c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
        var ones = Vector512.Create((short)1);
        for (int i = 0; i < Steps; i++)
        {
            var b0 = Vector512.Load(b); var b1 = Vector512.Load(b + 64); var b2 = Vector512.Load(b + 128); var b3 = Vector512.Load(b + 192);
            var x = Vector512.Create(a[0]).AsByte();
            c00 += Step(x, b0, ones); c01 += Step(x, b1, ones); c02 += Step(x, b2, ones); c03 += Step(x, b3, ones);
            x = Vector512.Create(a[1]).AsByte();
            c10 += Step(x, b0, ones); c11 += Step(x, b1, ones); c12 += Step(x, b2, ones); c13 += Step(x, b3, ones);
            x = Vector512.Create(a[2]).AsByte();
            c20 += Step(x, b0, ones); c21 += Step(x, b1, ones); c22 += Step(x, b2, ones); c23 += Step(x, b3, ones);
            x = Vector512.Create(a[3]).AsByte();
            c30 += Step(x, b0, ones); c31 += Step(x, b1, ones); c32 += Step(x, b2, ones); c33 += Step(x, b3, ones);
            x = Vector512.Create(a[4]).AsByte();
            c40 += Step(x, b0, ones); c41 += Step(x, b1, ones); c42 += Step(x, b2, ones); c43 += Step(x, b3, ones);
            x = Vector512.Create(a[5]).AsByte();
            c50 += Step(x, b0, ones); c51 += Step(x, b1, ones); c52 += Step(x, b2, ones); c53 += Step(x, b3, ones);
        }
        return c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33 + c40 + c41 + c42 + c43 + c50 + c51 + c52 + c53;

        static Vector512<int> Step(Vector512<byte> x, Vector512<sbyte> b, Vector512<short> ones) =>
            Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b), ones);
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
