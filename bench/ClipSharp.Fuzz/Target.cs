namespace ClipSharp.Fuzz;

/// <summary>One generated input: which reader it is for, its bytes, and the seed it was mutated from.</summary>
internal sealed record FuzzInput(string Kind, byte[] Bytes, string Seed);

/// <summary>How one input ended.</summary>
internal enum Outcome
{
    /// <summary>Decoded or loaded.</summary>
    Accepted,
    /// <summary>Refused with the documented exception type.</summary>
    Refused,
    /// <summary>Any other exception: a bug.</summary>
    Untyped,
}

/// <summary>A family of readers under fuzz: builds input i deterministically and runs it.</summary>
internal interface IFuzzTarget
{
    string Name { get; }

    /// <summary>Input <paramref name="index"/> of the campaign with <paramref name="campaignSeed"/>; a pure function of both.</summary>
    FuzzInput Generate(ulong campaignSeed, long index);

    /// <summary>Runs the reader on the input; returns the outcome and, for <see cref="Outcome.Untyped"/>, the exception.</summary>
    (Outcome Outcome, Exception? Error) Run(FuzzInput input);

    /// <summary>File extension for saving an input of this kind.</summary>
    string Extension(string kind);
}
