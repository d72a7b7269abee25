// SentencePiece encode throughput, ClipSharp vs python3-sentencepiece, same corpus, same run.
//   bench/SpmBench/run.sh     (runs both; corpus = the test lines in tests/ClipSharp.Text.Tests/data/spm)
//   dotnet run -c Release --project bench/SpmBench -- model.model lines.jsonl.gz
using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using ClipSharp.Text.SentencePiece;

var sp = SentencePieceProcessor.Load(args[0]);
var texts = new List<string>();
using (var r = new StreamReader(new GZipStream(File.OpenRead(args[1]), CompressionMode.Decompress)))
    for (string? l; (l = r.ReadLine()) != null;) texts.Add(JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!);
var buf = new List<int>(4096);
foreach (var t in texts) { buf.Clear(); sp.EncodeIds(t, buf); }   // warm up
double best = 0;
for (int round = 0; round < 10; round++)
{
    var sw = Stopwatch.StartNew(); long ids = 0;
    foreach (var t in texts) { buf.Clear(); sp.EncodeIds(t, buf); ids += buf.Count; }
    double rate = texts.Count / sw.Elapsed.TotalSeconds;
    best = Math.Max(best, rate);
}
Console.WriteLine($"clipsharp {Path.GetFileName(args[0])}: {best:N0} texts/s single thread (best of 10, {texts.Count} lines)");
