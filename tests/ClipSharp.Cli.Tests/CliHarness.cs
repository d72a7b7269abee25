namespace ClipSharp.Cli.Tests;

/// <summary>Runs the CLI in process with captured stdout/stderr (tests using it share the "Console" collection).</summary>
internal static class CliHarness
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (Program.Main(args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }

    /// <summary>Starts the built CLI as a separate process (stdout and stderr redirected): what a kill must hit.</summary>
    public static System.Diagnostics.Process Start(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(System.IO.Path.Combine(AppContext.BaseDirectory, "ClipSharp.Cli.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("could not start the CLI");
    }

    /// <summary>A temporary directory deleted on dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("clipsharp-cli-").FullName;
        public string File(string name) => System.IO.Path.Combine(Path, name);
        public void Dispose() => Directory.Delete(Path, true);
    }
}
