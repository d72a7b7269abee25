using System.Net;
using System.Net.Http.Headers;

namespace ClipSharp.Hub;

/// <summary>
/// The two HTTP exchanges a download needs, with the hub's status codes turned into typed exceptions:
/// a HEAD that does not follow redirects (except relative ones, which a renamed repository answers with) and a
/// GET with an optional Range that follows them. The Authorization header goes only to the hub's own host,
/// never to the CDN a redirect points at.
/// </summary>
internal sealed class HubHttp : IDisposable
{
    private const int MaxRedirects = 10;
    private readonly HttpClient _client;
    private readonly HubOptions _options;
    private readonly Uri _endpoint;

    public HubHttp(HubOptions options, HttpMessageHandler? handler)
    {
        _options = options;
        _endpoint = new Uri(options.Endpoint.TrimEnd('/') + "/");
        handler ??= new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.MetadataTimeout,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("clipsharp/0.1");
    }

    /// <summary>{endpoint}/{repo}/resolve/{revision}/{file}, the revision escaped as one path segment.</summary>
    public Uri ResolveUrl(string repoId, string revision, string file) => new(_endpoint,
        $"{repoId}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>
    /// HEAD for a file. Returns its metadata, or (for a 404 "EntryNotFound") a result without metadata. Throws
    /// <see cref="HubUnreachableException"/> for connection failures, timeouts and 5xx answers,
    /// <see cref="HubAuthenticationException"/> for 401/403 and <see cref="HubNotFoundException"/> for a missing
    /// repository or revision.
    /// </summary>
    public async Task<MetadataResult> HeadAsync(HubModelRef model, string revision, string file, CancellationToken ct)
    {
        var url = ResolveUrl(model.RepoId, revision, file);
        for (int hop = 0; ; hop++)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_options.MetadataTimeout);
            using var request = NewRequest(HttpMethod.Head, url);
            HttpResponseMessage response;
            try
            {
                response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                throw Unreachable(model, file, e);
            }
            using (response)
            {
                int status = (int)response.StatusCode;
                if (status is >= 300 and < 400 && response.Headers.Location is { IsAbsoluteUri: false } relative && hop < MaxRedirects)
                {
                    url = new Uri(url, relative); // a renamed repository: follow on the hub itself
                    continue;
                }
                if (status == 404 && ErrorCode(response) is null or "EntryNotFound")
                    return new MetadataResult(null, Header(response, "X-Repo-Commit"));
                ThrowForStatus(model, file, response);
                return new MetadataResult(ReadMetadata(model, file, url, response), null);
            }
        }
    }

    /// <summary>GET <paramref name="url"/> from byte <paramref name="offset"/>, following redirects; the caller disposes the response.</summary>
    public async Task<HttpResponseMessage> GetAsync(Uri url, long offset, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = NewRequest(HttpMethod.Get, url);
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            using var headersTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            headersTimeout.CancelAfter(_options.ReadTimeout); // the body has its own stall timeout
            var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headersTimeout.Token).ConfigureAwait(false);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location && hop < MaxRedirects)
            {
                url = location.IsAbsoluteUri ? location : new Uri(url, location);
                response.Dispose();
                continue;
            }
            return response;
        }
    }

    /// <summary>Throws the typed exception for a non-success status (auth, not found, server error, other).</summary>
    public void ThrowForStatus(HubModelRef model, string file, HttpResponseMessage response)
    {
        int status = (int)response.StatusCode;
        if (status is >= 200 and < 400) return;
        var code = ErrorCode(response);
        var repoPage = $"{_options.Endpoint.TrimEnd('/')}/{model.RepoId}";
        if (status is 401 or 403)
        {
            var why = code == "GatedRepo" || status == 403
                ? $"the repository is gated: accept its terms at {repoPage} with your account"
                : "the repository is private or gated (or does not exist)";
            var fix = _options.Token == null
                ? "and set HF_TOKEN to an access token (https://huggingface.co/settings/tokens)"
                : "the token sent (HF_TOKEN) was refused or has no access to it; check the token and that its account was granted access";
            throw new HubAuthenticationException(model, $"{file}: HTTP {status} from {_options.Endpoint}: {why}; {fix}", status);
        }
        if (status == 404 && code == "RepoNotFound")
            throw new HubNotFoundException(model, $"repository not found at {repoPage} (if it is private or gated, set HF_TOKEN)");
        if (status == 404 && code == "RevisionNotFound")
            throw new HubNotFoundException(model, $"revision '{model.Revision}' not found in {repoPage}");
        if (status == 404)
            throw new HubNotFoundException(model, $"{file}: not found (HTTP 404 from {response.RequestMessage?.RequestUri})");
        if (status >= 500 || status == 429)
            throw new HubUnreachableException(model, $"{file}: {_options.Endpoint} answered HTTP {status} {response.ReasonPhrase}");
        throw new HubException(model, $"{file}: unexpected HTTP {status} {response.ReasonPhrase} from {response.RequestMessage?.RequestUri}");
    }

    /// <summary>Connection failures and timeouts (not the caller's own cancellation) count as "hub unreachable".</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) =>
        e is HttpRequestException { StatusCode: null } or IOException
        || (e is OperationCanceledException && !ct.IsCancellationRequested);

    public HubUnreachableException Unreachable(HubModelRef model, string file, Exception e) => new(model,
        $"{file}: could not reach {_options.Endpoint} ({(e is OperationCanceledException ? "timed out" : e.Message)})", e);

    private HubFileMetadata ReadMetadata(HubModelRef model, string file, Uri url, HttpResponseMessage response)
    {
        var commit = Header(response, "X-Repo-Commit");
        if (commit == null || !HubModelRef.IsCommitHash(commit))
            throw new HubException(model, $"{file}: {url} sent no valid X-Repo-Commit header (found '{commit}'); " +
                $"is {_options.Endpoint} a Hugging Face hub? (check HF_ENDPOINT)");
        var rawEtag = Header(response, "X-Linked-Etag") ?? Header(response, "ETag");
        var etag = rawEtag == null ? null : HubFileMetadata.NormalizeEtag(rawEtag);
        if (etag == null || !HubFileMetadata.IsSafeEtag(etag))
            throw new HubException(model, $"{file}: {url} sent no usable ETag (found '{rawEtag}'), so the file cannot be cached");
        long? size = long.TryParse(Header(response, "X-Linked-Size"), out var linked) ? linked
            : (int)response.StatusCode is >= 200 and < 300 ? response.Content.Headers.ContentLength : null;
        var location = response.Headers.Location;
        var download = location == null ? url : location.IsAbsoluteUri ? location : new Uri(url, location);
        return new HubFileMetadata(commit, etag, size, download);
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.AcceptEncoding.ParseAdd("identity");
        if (_options.Token != null && string.Equals(url.Authority, _endpoint.Authority, StringComparison.OrdinalIgnoreCase))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        return request;
    }

    private static string? ErrorCode(HttpResponseMessage response) => Header(response, "X-Error-Code");

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var content) ? content.FirstOrDefault()
        : null;

    public void Dispose() => _client.Dispose();
}
