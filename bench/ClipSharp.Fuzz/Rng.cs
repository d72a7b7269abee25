namespace ClipSharp.Fuzz;

/// <summary>
/// SplitMix64: a small, fast generator whose whole state is one ulong, so input number i of a campaign
/// is a pure function of (campaign seed, i) and any saved or crashing input can be rebuilt alone.
/// </summary>
internal sealed class Rng(ulong state)
{
    public static Rng For(ulong campaignSeed, long index, string target) =>
        new(Mix(campaignSeed ^ Mix((ulong)index + 0x9E3779B97F4A7C15UL) ^ (ulong)StableHash(target)));

    public ulong Next()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>Uniform in [0, n).</summary>
    public int Below(int n) => n <= 1 ? 0 : (int)(Next() % (ulong)n);

    public long Below(long n) => n <= 1 ? 0 : (long)(Next() % (ulong)n);

    public bool Chance(int percent) => Below(100) < percent;

    /// <summary>1 + a geometric count: 1 most often, rarely up to <paramref name="max"/>.</summary>
    public int Count(int max)
    {
        int n = 1;
        while (n < max && Chance(40)) n++;
        return n;
    }

    public T Pick<T>(IReadOnlyList<T> items) => items[Below(items.Count)];

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>FNV-1a: a hash that is the same in every process (string.GetHashCode is randomised).</summary>
    public static uint StableHash(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) h = (h ^ c) * 16777619;
        return h;
    }
}
