namespace ClipSharp.Search.Vectors;

public static partial class VectorKernels
{
    /// <summary>Scalar references (double accumulation), callable on their own; tests compare the fast paths with them.</summary>
    public static class Reference
    {
        /// <summary>Returns <c>Σ_d a[d]·b[d]</c> accumulated in double.</summary>
        public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            if (a.Length != b.Length) throw new ArgumentException($"lengths differ: {a.Length} vs {b.Length}");
            double s = 0;
            for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
            return s;
        }

        /// <summary>Overwrites <c>scores[r] = Σ_d rows[r·D + d]·query[d]</c>, accumulated in double.</summary>
        public static void ScoreRows(Span<double> scores, ReadOnlySpan<float> rows, ReadOnlySpan<float> query)
        {
            int d = query.Length;
            for (int r = 0; r < scores.Length; r++) scores[r] = Dot(rows.Slice(r * d, d), query);
        }
    }
}
