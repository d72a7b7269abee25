using System.CommandLine;
using ClipSharp.Cli.Commands;

namespace ClipSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("ClipSharp: CLIP in pure C# — embed, classify and search images with text.");
        // One line per command; each command lives in Commands/<Name>Command.cs.
        root.Subcommands.Add(ModelsCommand.Create());
        return CliRunner.Run(root, args);
    }
}
