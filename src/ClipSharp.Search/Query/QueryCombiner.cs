using ClipSharp.Search.Vectors;

namespace ClipSharp.Search.Query;

/// <summary>Turns parsed query terms into one query embedding.</summary>
public static class QueryCombiner
{
    /// <summary>
    /// Returns <c>normalize(Σ_i w_i · normalize(e_i))</c>, where e_i is <paramref name="embedText"/>(value)
    /// for text terms and <paramref name="embedImage"/>(value) for image terms. Throws
    /// <see cref="ArgumentException"/> if the embeddings differ in length, one of them is zero, or the
    /// terms cancel out (e.g. <c>cat - cat</c>).
    /// </summary>
    public static float[] Combine(IReadOnlyList<QueryTerm> terms, Func<string, float[]> embedText, Func<string, float[]> embedImage)
    {
        if (terms.Count == 0) throw new ArgumentException("query has no terms");
        float[]? sum = null;
        foreach (var t in terms)
        {
            var e = t.Kind == QueryTermKind.Text ? embedText(t.Value) : embedImage(t.Value);
            var unit = VectorKernels.Normalized(e, $"embedding of {t.Kind.ToString().ToLowerInvariant()} term '{t.Value}'");
            sum ??= new float[unit.Length];
            if (unit.Length != sum.Length)
                throw new ArgumentException($"embedding of term '{t.Value}' has length {unit.Length}, earlier terms {sum.Length}");
            for (int i = 0; i < sum.Length; i++) sum[i] += t.Weight * unit[i];
        }
        float norm = VectorKernels.Normalize(sum!);
        if (!(norm > 1e-6f) || !float.IsFinite(norm))
            throw new ArgumentException($"the query terms cancel out (combined norm {norm}); nothing to search for");
        return sum!;
    }
}
