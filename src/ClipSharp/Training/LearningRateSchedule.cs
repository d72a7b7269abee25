namespace ClipSharp.Training;

/// <summary>
/// open_clip's cosine schedule with linear warm-up, for 0-based step s:
/// s &lt; W: lr = base·(s + 1)/W; otherwise lr = ½(1 + cos(π (s − W)/(S − W)))·base, S total steps.
/// </summary>
public sealed record CosineSchedule
{
    public double BaseLearningRate { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }

    public CosineSchedule(double baseLearningRate, int warmupSteps, int totalSteps)
    {
        if (baseLearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(baseLearningRate), baseLearningRate, "must be positive");
        if (warmupSteps < 0 || totalSteps < 1) throw new ArgumentException($"need warmup ≥ 0 and total ≥ 1, got {warmupSteps} and {totalSteps}");
        (BaseLearningRate, WarmupSteps, TotalSteps) = (baseLearningRate, warmupSteps, totalSteps);
    }

    public double At(long step)
    {
        if (step < WarmupSteps) return BaseLearningRate * (step + 1) / WarmupSteps;
        long e = step - WarmupSteps, es = Math.Max(1, TotalSteps - WarmupSteps);
        return 0.5 * (1 + Math.Cos(Math.PI * Math.Min(e, es) / es)) * BaseLearningRate;
    }
}
