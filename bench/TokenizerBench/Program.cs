// Tokenizer throughput and parity measurement; not part of the test run.
//   dotnet run -c Release --project bench/TokenizerBench -- throughput [imagenet_zeroshot.json]
//   dotnet run -c Release --project bench/TokenizerBench -- compare corpus.json.gz   ({"texts","token_ids"}, as make_reference.py writes)
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using ClipSharp.Text;

string mode = args.Length > 0 ? args[0] : "throughput";
var tok = ClipTokenizer.Default;

if (mode == "compare")
{
    Stream s = File.OpenRead(args[1]);
    if (args[1].EndsWith(".gz")) s = new GZipStream(s, CompressionMode.Decompress);
    using var doc = JsonDocument.Parse(s);
    var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();
    var ids = doc.RootElement.GetProperty("token_ids").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
    int bad = 0;
    var timer = Stopwatch.StartNew();
    for (int i = 0; i < texts.Length; i++)
    {
        var got = tok.EncodeIds(texts[i]);
        if (got.SequenceEqual(ids[i])) continue;
        bad++;
        if (bad <= 20)
            Console.WriteLine($"line {i}: {JsonSerializer.Serialize(texts[i])}\n  clean {JsonSerializer.Serialize(tok.Clean(texts[i]))}\n  expected [{string.Join(",", ids[i])}]\n  got      [{string.Join(",", got)}]");
    }
    Console.WriteLine($"exact {texts.Length - bad}/{texts.Length} = {100.0 * (texts.Length - bad) / texts.Length:F3}% ({texts.Length / timer.Elapsed.TotalSeconds:N0} texts/s, cold cache, one thread)");
    return;
}

// Prompts "a photo of a {label}." over ImageNet class names (or a built-in list).
string[] labels = args.Length > 1
    ? JsonDocument.Parse(File.ReadAllText(args[1])).RootElement.EnumerateObject()
        .First(p => p.Value.ValueKind == JsonValueKind.Array && p.Value.GetArrayLength() == 1000).Value
        .EnumerateArray().Select(e => e.GetString()!).ToArray()
    : ["cat", "dog", "goldfish", "great white shark", "tree frog", "school bus", "espresso", "volcano"];
var prompts = labels.Select(l => $"a photo of a {l}.").ToArray();
var buffer = new List<int>(128);
foreach (var p in prompts) { buffer.Clear(); tok.EncodeIds(p, buffer); }   // warm up (JIT, BPE cache)
for (int round = 0; round < 3; round++)
{
    long total = 0;
    var sw = Stopwatch.StartNew();
    int n = 0;
    while (sw.ElapsedMilliseconds < 2000)
    {
        foreach (var p in prompts) { buffer.Clear(); tok.EncodeIds(p, buffer); total += buffer.Count; }
        n += prompts.Length;
    }
    sw.Stop();
    long alloc0 = GC.GetAllocatedBytesForCurrentThread();
    foreach (var p in prompts) { buffer.Clear(); tok.EncodeIds(p, buffer); }
    long perText = (GC.GetAllocatedBytesForCurrentThread() - alloc0) / prompts.Length;
    Console.WriteLine($"{n / sw.Elapsed.TotalSeconds:N0} texts/s single thread ({prompts.Length} prompts, {total / (double)n:F1} ids/text, {perText} B allocated/text)");
}
var rowSw = Stopwatch.StartNew();
var rows = tok.Encode(prompts, 77, truncate: true);
Console.WriteLine($"Encode({prompts.Length} prompts) → ({rows.GetLength(0)}, {rows.GetLength(1)}) in {rowSw.Elapsed.TotalMilliseconds:F1} ms");
