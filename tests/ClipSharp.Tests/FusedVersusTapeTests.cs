using ClipSharp.Models;
using ClipSharp.Tensors;
using ClipSharp.Tensors.Autograd;
using Xunit.Abstractions;
using static ClipSharp.Tests.TrainingParityTests;

namespace ClipSharp.Tests;

/// <summary>
/// Module by module, the fused inference forward (GEMM epilogues, in-place residuals, shared buffers,
/// channels-last convolutions) against the training forward recorded on a tape, on the same weights and
/// input. The fixtures tie the two paths only at the towers' outputs; these tests say which module
/// diverges when one does. (Not compared: ModifiedResNet's bottlenecks and stem, whose BatchNorm is in
/// eval mode for inference and train mode on the tape by definition; the attention pool is compared.)
/// </summary>
public class FusedVersusTapeTests
{
    private const double Tolerance = 1e-5;   // relative to the output's norm; both paths are fp32
    private readonly ITestOutputHelper _output;
    private static readonly ComputeContext Ctx = ComputeContext.Default;

    public FusedVersusTapeTests(ITestOutputHelper output) => _output = output;

    private static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = new Tensor(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    private static Tape ValuesOnly() => new(Ctx, null, record: false);

    private void Same(string what, Tensor fused, Variable tape)
    {
        Assert.Equal(tape.Shape, fused.Shape);
        double rel = RelativeError(tape.Data, fused.Contiguous().Span);
        _output.WriteLine($"{what}: {rel:E2}");
        Assert.True(rel <= Tolerance, $"{what}: fused inference differs from the tape forward by {rel:E2} of its norm");
    }

    [Fact]
    public void LayersAttentionAndMlpMatchTheirTapeForwards()
    {
        var model = Load("vit-tiny").Model;
        var block = ((VisionTransformer)model.Visual).Transformer.Blocks[0];
        int width = block.Attn.Width;
        var x = Random(1, 2, 7, width);
        var zeros = new Tensor(2, 7, width);

        Same("ln_1", block.Ln1.Forward(Ctx, x.Clone()), block.Ln1.Forward(ValuesOnly(), ValuesOnly().Constant(x)));
        Same("attn.out_proj (linear)", block.Attn.OutProj.Forward(Ctx, x.Clone()), block.Attn.OutProj.Forward(ValuesOnly(), ValuesOnly().Constant(x)));
        foreach (bool causal in new[] { false, true })
        {
            var tape = ValuesOnly();
            Same($"attn (causal {causal})", block.Attn.AddForward(Ctx, x.Clone(), causal, zeros.Clone()), block.Attn.Forward(tape, tape.Constant(x), causal));
        }
        var t2 = ValuesOnly();
        Same("mlp", block.Mlp.AddForward(Ctx, x.Clone(), zeros.Clone()), block.Mlp.Forward(t2, t2.Constant(x)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResidualBlocksAndTheWholeTransformerMatch(bool causal)
    {
        var model = Load("vit-tiny").Model;
        foreach (var (name, transformer) in new[] { ("visual", ((VisionTransformer)model.Visual).Transformer), ("text", model.Text.Transformer) })
        {
            int width = transformer.Blocks[0].Attn.Width;
            var x = Random(2, 3, 9, width);
            var tape = ValuesOnly();
            Same($"{name} block 0 (causal {causal})", transformer.Blocks[0].Forward(Ctx, x.Clone(), causal), transformer.Blocks[0].Forward(tape, tape.Constant(x), causal));
            tape = ValuesOnly();
            Same($"{name} transformer (causal {causal})", transformer.Forward(Ctx, x.Clone(), causal), transformer.Forward(tape, tape.Constant(x), causal));
        }
    }

    [Fact]
    public void VisionAndTextTowersMatch()
    {
        var batch = Load("vit-tiny", count: 4);
        var vit = (VisionTransformer)batch.Model.Visual;
        Same("vision tower", vit.Forward(Ctx, batch.Pixels.Clone()), vit.Forward(ValuesOnly(), batch.Pixels.Clone()));
        Same("text tower", batch.Model.Text.Forward(Ctx, batch.Tokens, 4), batch.Model.Text.Forward(ValuesOnly(), batch.Tokens, 4));
    }

    [Fact]
    public void ResNetAttentionPoolMatches()
    {
        var resnet = (ModifiedResNet)Load("rn-tiny").Model.Visual;
        var pool = resnet.AttnPool;
        int c = pool.KProj.InFeatures, cells = pool.PositionalEmbedding.Shape[0] - 1, grid = (int)Math.Round(Math.Sqrt(cells));
        var nchw = Random(3, 2, c, grid, grid);
        var nhwc = new Tensor(2, grid, grid, c);
        for (int n = 0; n < 2; n++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < cells; i++)
                    nhwc.Span[(n * cells + i) * c + ch] = nchw.Span[(n * c + ch) * cells + i];
        var tape = ValuesOnly();
        Same("attnpool", pool.Forward(Ctx, nhwc), pool.Forward(tape, tape.Constant(nchw)));
    }
}
