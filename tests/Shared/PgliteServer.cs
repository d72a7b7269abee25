using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ClipSharp.Testing;

/// <summary>Starts PGlite (real Postgres in WASM, with pgvector) through scripts/pglite.sh on a free 127.0.0.1 port; fails loudly if it does not start.</summary>
public sealed class PgliteServer : IDisposable
{
    private readonly Process _proc;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "clipsharp-pglite-" + Guid.NewGuid().ToString("N"));
    public string Url { get; }

    public PgliteServer()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "scripts", "pglite.sh"))) repo = Path.GetDirectoryName(repo) ?? throw new InvalidOperationException("scripts/pglite.sh not found above the test folder");
        var l = new TcpListener(IPAddress.Loopback, 0); l.Start(); int port = ((IPEndPoint)l.LocalEndpoint).Port; l.Stop();
        _proc = Process.Start(new ProcessStartInfo("bash", [Path.Combine(repo, "scripts", "pglite.sh"), "start", _dir, port.ToString()])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var log = new System.Text.StringBuilder();
        _proc.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _proc.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        _proc.BeginOutputReadLine(); _proc.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(180);
        while (true)
        {
            lock (log) if (log.ToString().Contains("listening")) break;
            if (_proc.HasExited || DateTime.UtcNow > until)
                throw new InvalidOperationException($"PGlite did not start on port {port}: {log}");
            Thread.Sleep(200);
        }
        Url = $"postgres://postgres:postgres@127.0.0.1:{port}/postgres";
    }

    public void Dispose()
    {
        try { _proc.Kill(entireProcessTree: true); _proc.WaitForExit(10_000); } catch (InvalidOperationException) { }
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
