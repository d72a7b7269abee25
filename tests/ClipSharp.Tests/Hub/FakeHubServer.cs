using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace ClipSharp.Tests.Hub;

/// <summary>
/// A small HTTP/1.1 server (one request per connection) that answers like huggingface.co's resolve endpoint:
/// <c>HEAD/GET /{org}/{name}/resolve/{rev}/{file}</c> with X-Repo-Commit and ETag (git blob sha1) for small files,
/// and for LFS files (.safetensors, .bin) a 302 to a second "CDN" port with X-Linked-Etag (sha256) and
/// X-Linked-Size. Supports Range, 404 with X-Error-Code, tokens (401/403), renamed repositories (relative 307),
/// and injected faults: a body cut off mid-way, corrupted bytes, or a 500.
/// </summary>
internal sealed class FakeHubServer : IDisposable
{
    public sealed class Repo
    {
        public Dictionary<string, string> Refs { get; } = new();
        public Dictionary<string, Dictionary<string, byte[]>> Commits { get; } = new();
        public string? RequiredToken { get; set; }
    }

    public enum FaultKind { CutBody, Corrupt, ServerError }

    /// <summary>Applies to the next <see cref="Times"/> content GETs of <see cref="File"/>.</summary>
    public sealed class Fault(string file, FaultKind kind, int times, long atByte = 0)
    {
        public string File { get; } = file;
        public FaultKind Kind { get; } = kind;
        public long AtByte { get; } = atByte;
        public int Remaining = times;
    }

    public sealed record Request(string Method, string Path, string? Range, string? Authorization, int Port);

    private readonly TcpListener _hub = new(IPAddress.Loopback, 0);
    private readonly TcpListener _cdn = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = new();
    private readonly ConcurrentDictionary<string, (byte[] Data, string File)> _lfs = new();

    public Dictionary<string, Repo> Repos { get; } = new();
    public Dictionary<string, string> Renames { get; } = new();
    public ConcurrentQueue<Request> Requests { get; } = new();
    public List<Fault> Faults { get; } = new();

    public FakeHubServer()
    {
        _hub.Start();
        _cdn.Start();
        _loops.Add(AcceptLoop(_hub, cdn: false));
        _loops.Add(AcceptLoop(_cdn, cdn: true));
    }

    public int HubPort => ((IPEndPoint)_hub.LocalEndpoint).Port;
    public int CdnPort => ((IPEndPoint)_cdn.LocalEndpoint).Port;
    public string Endpoint => $"http://127.0.0.1:{HubPort}";

    /// <summary>Adds a repository whose branch "main" points at one commit holding <paramref name="files"/>.</summary>
    public Repo AddRepo(string repoId, string commit, Dictionary<string, byte[]> files)
    {
        var repo = new Repo();
        repo.Commits[commit] = files;
        repo.Refs["main"] = commit;
        Repos[repoId] = repo;
        return repo;
    }

    public static bool IsLfs(string file) => file.EndsWith(".safetensors", StringComparison.Ordinal) || file.EndsWith(".bin", StringComparison.Ordinal);

    /// <summary>The ETag git gives a blob: sha1("blob {size}\0" + content).</summary>
    public static string GitSha1(byte[] data)
    {
        var header = Encoding.ASCII.GetBytes($"blob {data.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. data]));
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static string FakeCommit(string seed) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(seed)));

    public IEnumerable<Request> Gets(string pathPart) => Requests.Where(r => r.Method == "GET" && r.Path.Contains(pathPart, StringComparison.Ordinal));

    /// <summary>Stops listening; later connections are refused.</summary>
    public void Stop()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _hub.Stop();
        _cdn.Stop();
        try { Task.WaitAll(_loops.ToArray(), TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }

    public void Dispose()
    {
        Stop();
        _stop.Dispose();
    }

    private async Task AcceptLoop(TcpListener listener, bool cdn)
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Serve(client, cdn));
        }
    }

    private async Task Serve(TcpClient client, bool cdn)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHead(stream);
                if (head == null) return;
                var lines = head.Split("\r\n");
                var parts = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .ToDictionary(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim(), StringComparer.OrdinalIgnoreCase);
                var request = new Request(parts[0], parts[1], headers.GetValueOrDefault("Range"), headers.GetValueOrDefault("Authorization"),
                    cdn ? CdnPort : HubPort);
                Requests.Enqueue(request);
                var response = cdn ? ServeCdn(request) : ServeHub(request);
                await response.WriteAsync(client, stream, request.Method == "HEAD");
            }
            catch (IOException) { }
            catch (SocketException) { }
        }
    }

    private static async Task<string?> ReadHead(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 65536)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            buffer.Add(one[0]);
            int n = buffer.Count;
            if (n >= 4 && buffer[n - 4] == '\r' && buffer[n - 3] == '\n' && buffer[n - 2] == '\r' && buffer[n - 1] == '\n')
                return Encoding.ASCII.GetString(buffer.ToArray(), 0, n - 4);
        }
        return null;
    }

    private Response ServeHub(Request request)
    {
        // /{org}/{name}/resolve/{rev}/{file...}
        var segments = request.Path.Split('?')[0].TrimStart('/').Split('/');
        if (segments.Length < 5 || segments[2] != "resolve") return Response.Error(404, "EntryNotFound");
        var repoId = segments[0] + "/" + segments[1];
        var rest = string.Join('/', segments.Skip(3));
        if (Renames.TryGetValue(repoId, out var renamed))
            return new Response(307) { Headers = { ["Location"] = $"/{renamed}/resolve/{rest}" } };
        if (!Repos.TryGetValue(repoId, out var repo)) return Response.Error(404, "RepoNotFound");
        if (repo.RequiredToken != null && request.Authorization != "Bearer " + repo.RequiredToken)
            return Response.Error(request.Authorization == null ? 401 : 403, "GatedRepo");

        var rev = Uri.UnescapeDataString(segments[3]);
        var commit = repo.Commits.ContainsKey(rev) ? rev : repo.Refs.GetValueOrDefault(rev);
        if (commit == null) return Response.Error(404, "RevisionNotFound");
        var file = string.Join('/', segments.Skip(4).Select(Uri.UnescapeDataString));
        if (!repo.Commits[commit].TryGetValue(file, out var data))
            return Response.Error(404, "EntryNotFound", commit);

        if (IsLfs(file))
        {
            var sha = Sha256(data);
            _lfs[sha] = (data, file);
            return new Response(302)
            {
                Headers =
                {
                    ["Location"] = $"http://127.0.0.1:{CdnPort}/cdn/{sha}?file={Uri.EscapeDataString(file)}",
                    ["X-Repo-Commit"] = commit,
                    ["ETag"] = $"\"{GitSha1(Encoding.ASCII.GetBytes("version https://git-lfs.github.com/spec/v1\noid sha256:" + sha))}\"",
                    ["X-Linked-Etag"] = $"\"{sha}\"",
                    ["X-Linked-Size"] = data.Length.ToString(),
                },
            };
        }
        var etag = GitSha1(data);
        var ok = Content(request, data, file);
        ok.Headers["X-Repo-Commit"] = commit;
        ok.Headers["ETag"] = file.EndsWith(".json", StringComparison.Ordinal) ? $"W/\"{etag}\"" : $"\"{etag}\"";
        return ok;
    }

    private Response ServeCdn(Request request)
    {
        var sha = request.Path.Split('?')[0].Split('/').Last();
        return _lfs.TryGetValue(sha, out var entry) ? Content(request, entry.Data, entry.File) : new Response(404);
    }

    /// <summary>A 200 (or 206 for a Range request) with the faults that match the file applied.</summary>
    private Response Content(Request request, byte[] data, string file)
    {
        long from = 0;
        if (request.Range is { } range && range.StartsWith("bytes=", StringComparison.Ordinal))
            from = long.Parse(range[6..].Split('-')[0]);
        if (from > data.Length) return new Response(416) { Headers = { ["Content-Range"] = $"bytes */{data.Length}" } };

        var body = data.AsSpan((int)from).ToArray();
        var response = new Response(from > 0 ? 206 : 200) { Body = body };
        response.Headers["Accept-Ranges"] = "bytes";
        if (from > 0) response.Headers["Content-Range"] = $"bytes {from}-{data.Length - 1}/{data.Length}";
        if (request.Method != "GET") return response;

        lock (Faults)
        {
            var fault = Faults.FirstOrDefault(f => f.File == file && f.Remaining > 0);
            if (fault == null) return response;
            fault.Remaining--;
            switch (fault.Kind)
            {
                case FaultKind.CutBody:
                    response.CutAfter = fault.AtByte - from;
                    break;
                case FaultKind.Corrupt:
                    body[body.Length / 2] ^= 0x5A;
                    break;
                case FaultKind.ServerError:
                    return Response.Error(500, "Internal");
            }
        }
        return response;
    }

    private sealed class Response(int status)
    {
        public int Status { get; } = status;
        public Dictionary<string, string> Headers { get; } = new();
        public byte[] Body { get; init; } = [];
        public long CutAfter { get; set; } = -1;

        public static Response Error(int status, string code, string? commit = null)
        {
            var r = new Response(status) { Body = Encoding.UTF8.GetBytes($"{{\"error\":\"{code}\"}}") };
            r.Headers["X-Error-Code"] = code;
            if (commit != null) r.Headers["X-Repo-Commit"] = commit;
            return r;
        }

        public async Task WriteAsync(TcpClient client, NetworkStream stream, bool headOnly)
        {
            var sb = new StringBuilder($"HTTP/1.1 {Status} {Reason(Status)}\r\n");
            foreach (var (k, v) in Headers) sb.Append($"{k}: {v}\r\n");
            sb.Append($"Content-Length: {Body.Length}\r\nConnection: close\r\n\r\n");
            await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()));
            if (headOnly) return;
            if (CutAfter >= 0 && CutAfter < Body.Length)
            {
                await stream.WriteAsync(Body.AsMemory(0, (int)CutAfter));
                await stream.FlushAsync();
                client.Client.Shutdown(SocketShutdown.Both); // a clean FIN mid-body: the client sees a short response
                return;
            }
            await stream.WriteAsync(Body);
        }

        private static string Reason(int status) => status switch
        {
            200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect", 401 => "Unauthorized",
            403 => "Forbidden", 404 => "Not Found", 416 => "Range Not Satisfiable", 500 => "Internal Server Error", _ => "Status",
        };
    }
}
