namespace ClipSharp.Hub;

/// <summary>
/// A hub download failed. The message starts with the model (<c>hf:org/name@rev</c>), names the file and says
/// what to do. Derives from IOException so callers that handle I/O failures handle these too.
/// </summary>
public class HubException : IOException
{
    /// <summary>The model the failure concerns.</summary>
    public HubModelRef Model { get; }

    public HubException(HubModelRef model, string message, Exception? inner = null)
        : base($"{model}: {message}", inner) => Model = model;
}

/// <summary>401/403: the repository is gated or private and no (or a rejected) token was sent.</summary>
public sealed class HubAuthenticationException(HubModelRef model, string message, int statusCode)
    : HubException(model, message)
{
    /// <summary>The HTTP status the hub answered with (401 or 403).</summary>
    public int StatusCode { get; } = statusCode;
}

/// <summary>The repository, revision or a required file does not exist on the hub.</summary>
public sealed class HubNotFoundException(HubModelRef model, string message) : HubException(model, message);

/// <summary>Offline (or the hub unreachable) and what was asked for is not in the local cache.</summary>
public sealed class HubCacheMissException(HubModelRef model, string message, IReadOnlyList<string> missing, Exception? inner = null)
    : HubException(model, message, inner)
{
    /// <summary>The files (or "refs/{revision}") that the cache lacks.</summary>
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>Downloaded bytes do not match the sha256 or size the hub announced, even after fetching them again.</summary>
public sealed class HubIntegrityException(HubModelRef model, string message) : HubException(model, message);

/// <summary>The hub could not be reached or answered with a server error (the condition that allows the cache fallback).</summary>
public sealed class HubUnreachableException(HubModelRef model, string message, Exception? inner = null)
    : HubException(model, message, inner);
