namespace ClipSharp.Search.Query;

public enum QueryTermKind
{
    /// <summary>Text to embed with the text encoder.</summary>
    Text,
    /// <summary>Path of an image file to embed with the image encoder.</summary>
    Image,
}

/// <summary>One signed, weighted term of a query: <c>Weight · embed(Value)</c>.</summary>
/// <param name="Weight">Signed weight (a leading '-' negates it).</param>
/// <param name="Kind">Text or image.</param>
/// <param name="Value">The text, or the image path (quotes removed, escapes resolved).</param>
/// <param name="Position">0-based offset of the term in the query string.</param>
public sealed record QueryTerm(float Weight, QueryTermKind Kind, string Value, int Position);

/// <summary>A query string could not be parsed; <see cref="Position"/> is the 0-based offset of the problem.</summary>
public sealed class QueryParseException : FormatException
{
    public int Position { get; }

    public QueryParseException(string query, int position, string problem)
        : base($"query {Quote(query)}: {problem} at position {position}") => Position = position;

    private static string Quote(string q) => q.Length <= 80 ? $"'{q}'" : $"'{q[..77]}...'";
}
