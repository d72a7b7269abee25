using ClipSharp.Hub;
using ClipSharp.Pretrained;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// The CLI's face of <see cref="ModelResolver"/> (names, hf: ids, folders and files resolved in the library), with
/// download progress on stderr.
/// </summary>
internal static class HubModelArgument
{
    /// <summary>The local path for <paramref name="argument"/>; downloads when it names a hub model.</summary>
    public static Task<string> ResolveAsync(string argument, CancellationToken ct) =>
        ModelResolver.ResolveAsync(argument, progress: ConsoleDownloadProgress.ForStandardError(), ct: ct);

    /// <summary>Synchronous <see cref="ResolveAsync"/> for commands whose action is synchronous.</summary>
    public static string Resolve(string argument) => ResolveAsync(argument, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>The hub reference an argument names, or null when it names none.</summary>
    public static HubModelRef? ToHubRef(string argument) => ModelResolver.ToHubRef(argument);
}
