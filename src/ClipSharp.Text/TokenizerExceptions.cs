namespace ClipSharp.Text;

/// <summary>
/// A text whose tokens (with start and end markers) do not fit the context and truncation was not
/// asked for. An <see cref="ArgumentException"/>, so callers and the CLI treat it as bad input.
/// </summary>
public sealed class ContextLengthException : ArgumentException
{
    public int TextIndex { get; }
    public int TokenCount { get; }
    public int ContextLength { get; }

    public ContextLengthException(int textIndex, int tokenCount, int contextLength)
        : base($"text {textIndex} is {tokenCount} tokens long with its start/end markers, but the context holds {contextLength}; "
               + "truncate it (keeps the first tokens and ends with <|endoftext|>) or split it into chunks and average their embeddings")
    {
        TextIndex = textIndex;
        TokenCount = tokenCount;
        ContextLength = contextLength;
    }
}
