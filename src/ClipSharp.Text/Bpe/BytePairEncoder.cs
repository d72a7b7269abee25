using System.Buffers;
using System.Collections.Concurrent;
using System.Text;

namespace ClipSharp.Text.Bpe;

/// <summary>
/// Byte-level BPE on one pre-token: UTF-8 bytes → byte symbols (the last one carrying "&lt;/w&gt;"),
/// then repeatedly merge every left-to-right, non-overlapping occurrence of the adjacent pair with the
/// lowest merge rank, until no adjacent pair has a rank. Results are cached per pre-token in a
/// concurrent dictionary looked up by span, so a cache hit allocates nothing; the class is thread-safe.
/// </summary>
public sealed class BytePairEncoder
{
    /// <summary>Entries beyond this are computed but not cached, which bounds memory on endless input.</summary>
    public const int MaxCacheEntries = 200_000;

    private readonly BpeVocabulary _vocab;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public BytePairEncoder(BpeVocabulary vocab)
    {
        _vocab = vocab;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _cache[BpeVocabulary.StartOfTextToken] = [vocab.StartOfText];
        _cache[BpeVocabulary.EndOfTextToken] = [vocab.EndOfText];
    }

    public BpeVocabulary Vocabulary => _vocab;

    /// <summary>Number of cached pre-tokens.</summary>
    public int CacheCount => _cache.Count;

    /// <summary>Appends the ids of <paramref name="pretoken"/> to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> pretoken, List<int> output)
    {
        if (_lookup.TryGetValue(pretoken, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        int[] ids = Compute(pretoken);
        if (_cache.Count < MaxCacheEntries) _lookup.TryAdd(pretoken, ids);
        output.AddRange(ids);
    }

    private int[] Compute(ReadOnlySpan<char> pretoken)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(pretoken.Length);
        byte[]? rentedBytes = null;
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[maxBytes] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        int n = Encoding.UTF8.GetBytes(pretoken, bytes);
        int[] symbols = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
        try
        {
            for (int i = 0; i < n; i++)
                symbols[i] = i == n - 1 ? _vocab.ByteEndIds[bytes[i]] : _vocab.ByteIds[bytes[i]];
            int count = MergeAll(symbols.AsSpan(0, n));
            return symbols.AsSpan(0, count).ToArray();
        }
        finally
        {
            ArrayPool<int>.Shared.Return(symbols);
            if (rentedBytes != null) ArrayPool<byte>.Shared.Return(rentedBytes);
        }
    }

    /// <summary>Runs the merges in place over <paramref name="word"/>; returns the new symbol count.</summary>
    private int MergeAll(Span<int> word)
    {
        int count = word.Length;
        var merges = _vocab.Merges;
        while (count > 1)
        {
            int bestRank = int.MaxValue;
            long bestKey = 0;
            int bestMerged = -1;
            for (int i = 0; i + 1 < count; i++)
            {
                long key = BpeVocabulary.Key(word[i], word[i + 1]);
                if (merges.TryGetValue(key, out var m) && m.Rank < bestRank)
                {
                    bestRank = m.Rank;
                    bestKey = key;
                    bestMerged = m.Merged;
                }
            }
            if (bestMerged < 0) break;
            int write = 0;
            for (int read = 0; read < count; read++)
            {
                if (read + 1 < count && BpeVocabulary.Key(word[read], word[read + 1]) == bestKey)
                {
                    word[write++] = bestMerged;
                    read++;
                }
                else word[write++] = word[read];
            }
            count = write;
        }
        return count;
    }
}
