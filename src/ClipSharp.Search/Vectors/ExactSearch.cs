namespace ClipSharp.Search.Vectors;

/// <summary>
/// Brute-force top-k search: scores every row of an <see cref="EmbeddingMatrix"/> against a query
/// (dot product; equals cosine similarity when both are unit vectors) and keeps the best k.
/// Rows are split into fixed blocks of <see cref="VectorKernels.BlockRows"/>; threads take contiguous
/// runs of blocks, each keeps its own <see cref="TopK"/>, and the heaps are merged. Every row's score is
/// computed by the same code whatever thread runs it, and the ranking is a total order (score desc,
/// row asc), so the result does not depend on the thread count.
/// </summary>
public static class ExactSearch
{
    /// <summary>
    /// The k rows with the highest <c>row · query</c> that score at least <paramref name="minScore"/>,
    /// best first, ties by lower row number. <see cref="ScoredId.Id"/> is the row number.
    /// </summary>
    public static ScoredId[] Search(EmbeddingMatrix matrix, ReadOnlySpan<float> query, int k,
        float minScore = float.NegativeInfinity, int threads = 1, Func<int, bool>? rowFilter = null)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be positive");
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "need at least one thread");
        if (query.Length != matrix.Dimension)
            throw new ArgumentException($"query has length {query.Length}, index dimension is {matrix.Dimension}");
        if (matrix.Rows == 0) return [];

        int blocks = (matrix.Rows + VectorKernels.BlockRows - 1) / VectorKernels.BlockRows;
        int workers = Math.Min(threads, blocks);
        var q = query.ToArray();
        var partial = new TopK[workers];
        if (workers == 1)
            partial[0] = ScanBlocks(matrix, q, k, minScore, 0, blocks, rowFilter);
        else
            Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, w =>
            {
                int b0 = (int)((long)blocks * w / workers), b1 = (int)((long)blocks * (w + 1) / workers);
                partial[w] = ScanBlocks(matrix, q, k, minScore, b0, b1, rowFilter);
            });
        var top = partial[0];
        for (int w = 1; w < workers; w++) top.Merge(partial[w]);
        return top.ToSortedArray();
    }

    private static TopK ScanBlocks(EmbeddingMatrix matrix, float[] query, int k, float minScore, int firstBlock, int endBlock,
        Func<int, bool>? rowFilter)
    {
        var top = new TopK(k);
        Span<float> scores = stackalloc float[VectorKernels.BlockRows];
        var scratch = new float[matrix.Dimension];
        for (int b = firstBlock; b < endBlock; b++)
        {
            int first = b * VectorKernels.BlockRows;
            int n = Math.Min(VectorKernels.BlockRows, matrix.Rows - first);
            var s = scores[..n];
            matrix.Score(first, s, query, scratch);
            for (int i = 0; i < n; i++)
            {
                float score = s[i];
                if (!(score >= minScore)) continue; // also drops NaN
                if (top.IsFull && score < top.Worst.Score) continue;
                if (rowFilter != null && !rowFilter(first + i)) continue;
                top.Offer(first + i, score);
            }
        }
        return top;
    }
}
