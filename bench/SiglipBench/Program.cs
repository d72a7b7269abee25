// The ClipSharp side of bench/siglip/run.sh: loads the SigLIP-B/16-shaped model bench/siglip/torch_side.py wrote
// (Hugging Face layout) through the front door, checks its embeddings of the saved inputs against PyTorch's, then
// times images/s and texts/s (best of --rounds, same batch sizes as the PyTorch side). Prints one JSON line.
//   dotnet bench/SiglipBench/bin/Release/net10.0/SiglipBench.dll OUTDIR THREADS ROUNDS IMAGES TEXTS
using System.Diagnostics;
using System.Text.Json;
using ClipSharp;
using ClipSharp.IO;
using ClipSharp.Models;
using ClipSharp.Pretrained;
using ClipSharp.Tensors;

string outDir = args[0];
int threads = int.Parse(args[1]), rounds = int.Parse(args[2]), images = int.Parse(args[3]), texts = int.Parse(args[4]);
var ctx = new ComputeContext(threads);
var pipeline = ClipPipeline.FromPretrained(Path.Combine(outDir, "model"), new PipelineOptions { Context = ctx });
var model = pipeline.Encoder;
int l = model.ContextLength;

// Same model as PyTorch's? Embeddings of the saved inputs, worst row's relative difference.
using var inputs = SafetensorsFile.Open(Path.Combine(outDir, "inputs.safetensors"));
var px = inputs.ReadTensor("pixel_values");
var ids = inputs.ReadInt32("input_ids");
double Worst(Tensor want, Tensor got)
{
    int e = want.Shape[1];
    double worst = 0;
    for (int r = 0; r < want.Shape[0]; r++)
    {
        double num = 0, den = 0;
        for (int j = 0; j < e; j++)
        {
            double d = want.Span[r * e + j] - got.Span[r * e + j];
            num += d * d;
            den += (double)want.Span[r * e + j] * want.Span[r * e + j];
        }
        worst = Math.Max(worst, Math.Sqrt(num / den));
    }
    return worst;
}
double imageAgreement = Worst(inputs.ReadTensor("image_embeds"), model.EncodeImage(ctx, px));
double textAgreement = Worst(inputs.ReadTensor("text_embeds"), model.EncodeText(ctx, ids, ids.Length / l));

var rng = new Random(6);
var pixels = new Tensor(images, 3, 224, 224);
for (int i = 0; i < pixels.Length; i++) pixels.Span[i] = (float)(rng.NextDouble() * 2 - 1);
var tokens = Enumerable.Range(0, texts * l).Select(_ => rng.Next(3, 32000)).ToArray();
double Best(Action run, int count)
{
    run();   // warm-up
    double best = 0;
    for (int r = 0; r < rounds; r++)
    {
        var sw = Stopwatch.StartNew();
        run();
        best = Math.Max(best, count / sw.Elapsed.TotalSeconds);
    }
    return best;
}
double imageRate = Best(() => model.EncodeImage(ctx, pixels), images);
double textRate = Best(() => model.EncodeText(ctx, tokens, texts), texts);
Console.WriteLine(JsonSerializer.Serialize(new
{
    side = "clipsharp", threads, images_per_s = imageRate, texts_per_s = textRate, image_batch = images, text_batch = texts,
    image_agreement = imageAgreement, text_agreement = textAgreement,
}));
