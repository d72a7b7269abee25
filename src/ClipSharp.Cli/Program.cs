using System.CommandLine;
using ClipSharp.Cli.Commands;

namespace ClipSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("ClipSharp: CLIP in pure C# — embed, classify and search images with text.");
        // One line per command; each command lives in Commands/<Name>Command.cs.
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(BenchImageCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(InitCommand.Create());
        root.Subcommands.Add(EmbedCommand.Create());
        root.Subcommands.Add(DatasetsCommand.Create());
        root.Subcommands.Add(ClassifyCommand.Create());
        root.Subcommands.Add(TagCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(TokenizeCommand.Create());
        root.Subcommands.Add(PreprocessCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(IndexCommand.Create());
        root.Subcommands.Add(SearchCommand.Create());
        root.Subcommands.Add(DupesCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(DebugCommand.Create());
        return CliRunner.Run(root, args);
    }
}
