using TorchSharp;
using static TorchSharp.torch;

/// <summary>TorchSharp (libtorch 2.10 CPU): the traced towers under no_grad, fp32 or bf16 weights and inputs.</summary>
sealed class TorchSharpPeer : IPeer
{
    private readonly jit.ScriptModule<Tensor, Tensor> _image, _text;
    private readonly bool _bf16;

    public TorchSharpPeer(string dir, int threads, bool bf16)
    {
        torch.set_num_threads(threads);
        torch.set_num_interop_threads(1);
        _bf16 = bf16;
        _image = jit.load<Tensor, Tensor>(Path.Combine(dir, "image.ts"));
        _text = jit.load<Tensor, Tensor>(Path.Combine(dir, "text.ts"));
        _image.eval();
        _text.eval();
        if (bf16)
        {
            _image.to(ScalarType.BFloat16);
            _text.to(ScalarType.BFloat16);
        }
    }

    public string Name => $"torchsharp {typeof(torch).Assembly.GetName().Version} (libtorch {torch.__version__}){(_bf16 ? " bf16" : "")}";

    public float[] EncodeImages(float[] pixels, int n, int res)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(pixels, [n, 3, res, res]);
        if (_bf16) x = x.to(ScalarType.BFloat16);
        return _image.call(x).to(ScalarType.Float32).data<float>().ToArray();
    }

    public float[] EncodeTexts(long[] tokens, int n, int context)
    {
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        return _text.call(torch.tensor(tokens, [n, context])).to(ScalarType.Float32).data<float>().ToArray();
    }
}
