namespace ClipSharp.Text;

/// <summary>
/// What a text tower needs from a tokenizer, for both families: CLIP's byte-level BPE
/// (<see cref="ClipTokenizer"/>) and SentencePiece (SigLIP / SigLIP 2, <see cref="SentencePiece.SiglipTokenizer"/>).
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The context the checkpoint's text tower was trained with (CLIP 77, SigLIP 64).</summary>
    int ContextLength { get; }

    /// <summary>The id written into unused positions of a row.</summary>
    int PadId { get; }

    /// <summary>
    /// Writes one padded row into <paramref name="row"/> (its length is the context). Too long: with
    /// <paramref name="truncate"/> the row keeps its first tokens as the reference does, otherwise a
    /// <see cref="ContextLengthException"/> naming <paramref name="textIndex"/>.
    /// Returns the position the text tower pools at: CLIP the eot token, SigLIP the last position
    /// (row.Length − 1; transformers' SiglipTextTransformer takes last_hidden_state[:, -1]).
    /// </summary>
    int EncodeRow(string text, Span<int> row, bool truncate = false, int textIndex = 0);
}
