using ClipSharp.Bench;

// Usage: dotnet run -c Release --project bench/ClipSharp.Bench -- <peak|gemm|conv|rn50|prefetch|memory|mac|isa|all> [--repeats N] [--threads 1,2] [--shape TEXT] [--batch B]
string mode = args.Length > 0 ? args[0] : "all";
int repeats = 5;
int[] threads = [1, 2];
string? filter = null;
int batch = 32;
for (int i = 1; i < args.Length - 1; i++)
{
    if (args[i] == "--repeats") repeats = int.Parse(args[++i]);
    else if (args[i] == "--threads") threads = Array.ConvertAll(args[++i].Split(','), int.Parse);
    else if (args[i] == "--shape") filter = args[++i];
    else if (args[i] == "--batch") batch = int.Parse(args[++i]);
}

if (mode == "isa") { IsaReport.Run(); return 0; }
if (mode == "mac") { MacThroughput.Run(); return 0; }
if (mode == "prefetch") { PrefetchAb.Run(threads, repeats); return 0; }
Console.WriteLine($"ClipSharp.Bench {mode}: {Environment.ProcessorCount} logical CPUs, ISA {ClipSharp.Tensors.ComputeContext.DetectIsa()}, best of {repeats}");
var peaks = new Dictionary<int, double>();
if (mode is "peak" or "gemm" or "conv" or "rn50" or "all")
{
    foreach (int t in threads)
    {
        peaks[t] = ClipSharp.Tensors.Kernels.PeakFlops.Measure(t, repeats);
        Console.WriteLine($"peak fp32 FMA, {t} thread(s): {peaks[t],8:F1} GFLOP/s");
    }
}
if (mode is "memory" or "all")
    foreach (int t in threads)
        Console.WriteLine($"memory read bandwidth, {t} thread(s): {MemoryBench.MeasureReadGBps(t, repeats),6:F1} GB/s");
if (mode is "gemm" or "all") GemmBench.Run(threads, repeats, peaks, filter);
if (mode is "conv" or "all") ConvBench.Run(threads, repeats, peaks, filter);
else if (mode == "rn50") foreach (int t in threads) ConvBench.RunNetwork(t, repeats, batch, peaks);
else if (mode is not ("peak" or "memory" or "gemm")) { Console.Error.WriteLine($"unknown mode '{mode}' (peak, gemm, conv, rn50, memory, mac, isa, all)"); return 2; }
return 0;
