using System.CommandLine;

namespace ClipSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("ClipSharp: CLIP in pure C#.");
        return root.Parse(args).Invoke();
    }
}
