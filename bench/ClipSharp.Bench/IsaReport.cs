using System.Reflection;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ClipSharp.Bench;

/// <summary>
/// Every instruction-set class of System.Runtime.Intrinsics.X86 in this runtime, with its IsSupported on
/// this CPU (nested X64 and V512 classes included), and which vector widths the JIT accelerates.
/// </summary>
internal static class IsaReport
{
    public static void Run()
    {
        Console.WriteLine($"runtime {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Console.WriteLine($"Vector128.IsHardwareAccelerated {Vector128.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, " +
                          $"Vector512 {Vector512.IsHardwareAccelerated}, Vector<float>.Count {System.Numerics.Vector<float>.Count}");
        var classes = typeof(X86Base).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(X86Base).Namespace && t.IsAbstract)
            .Select(t => (Name: Describe(t), Supported: t.GetProperty("IsSupported", BindingFlags.Public | BindingFlags.Static)))
            .Where(c => c.Supported is not null)
            .OrderBy(c => c.Name, StringComparer.Ordinal);
        foreach (var (name, supported) in classes)
        {
            bool value;
            try { value = (bool)supported!.GetValue(null)!; }
            catch (TargetInvocationException) { continue; }   // an experimental class that cannot be queried here
            Console.WriteLine($"{name,-28} {(value ? "yes" : "no")}");
        }
    }

    private static string Describe(Type t) => t.DeclaringType is { } outer ? $"{Describe(outer)}.{t.Name}" : t.Name;
}
