using ClipSharp.Hub;
using ClipSharp.Models;
using ClipSharp.Tensors;

namespace ClipSharp.Pretrained;

/// <summary>How <see cref="ClipPipeline.FromPretrained(string, PipelineOptions?)"/> builds a pipeline.</summary>
public sealed record PipelineOptions
{
    /// <summary>Threads and instruction set (default: all cores, best ISA).</summary>
    public ComputeContext? Context { get; init; }

    /// <summary>Arithmetic of the linear layers (this pipeline's own; other pipelines on the same model are unaffected).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Decode large JPEGs at reduced size in the DCT domain (faster, not pixel-identical).</summary>
    public bool DraftDecoding { get; init; }

    /// <summary>Hub settings for names and hf: ids (default: from the environment, HF_HUB_CACHE etc.).</summary>
    public HubOptions? Hub { get; init; }

    /// <summary>Download progress for names and hf: ids that are not cached yet.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }
}
