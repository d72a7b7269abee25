using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Tensors.Tests;

/// <summary>
/// A theory about an AVX-512-only code path (a kernel the AVX2 dispatcher never reaches). On a host
/// without AVX-512 it is reported as skipped, with the reason, instead of comparing the AVX2 path with
/// itself; every test of the paths such a host does run stays a plain fact or theory.
/// </summary>
public sealed class Avx512TheoryAttribute : TheoryAttribute
{
    public Avx512TheoryAttribute()
    {
        if (!Avx512F.IsSupported) Skip = "exercises an AVX-512-only kernel; this host has no AVX-512";
    }
}
