using System.CommandLine;
using System.Text;
using System.Text.Json;
using ClipSharp.Text;

namespace ClipSharp.Cli.Commands;

/// <summary>
/// <c>clipsharp tokenize</c>: prints CLIP token ids, one line per text. By default the ids alone
/// (no start/end markers, no padding); with <c>--padded</c> the (N, context) rows the text tower reads.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var text = new Option<string[]>("--text")
        {
            Description = "A text to tokenize (repeatable).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var textsFile = new Option<string?>("--texts-file")
        {
            Description = "A JSON file holding an array of strings, or an object {\"texts\": [...]}.",
        };
        var context = new Option<int>("--context")
        {
            Description = "Context length of padded rows.",
            DefaultValueFactory = _ => ClipTokenizer.DefaultContextLength,
        };
        var truncate = new Option<bool>("--truncate")
        {
            Description = "Cut padded rows that are too long to the context, ending them with <|endoftext|> (else: error).",
        };
        var padded = new Option<bool>("--padded")
        {
            Description = "Print [sot] + ids + [eot] zero-padded to the context, as the model sees them.",
        };
        var json = new Option<bool>("--json") { Description = "Print each line as a JSON array (else space-separated ids)." };
        var model = new Option<string?>("--model")
        {
            Description = "A model directory; its Hugging Face vocab.json + merges.txt are used when present (else CLIP's own vocabulary).",
        };

        var command = new Command("tokenize", "Turn texts into CLIP token ids (bit-exact with the reference tokenizer).")
        {
            text, textsFile, context, truncate, padded, json, model,
        };
        command.SetAction(parse =>
        {
            var texts = new List<string>();
            if (parse.GetValue(textsFile) is { } path) texts.AddRange(ReadTextsFile(CommandHelpers.RequireFile(path, "--texts-file")));
            texts.AddRange(parse.GetValue(text) ?? []);
            if (texts.Count == 0) throw new ArgumentException("tokenize: give at least one --text or a --texts-file");
            int ctx = parse.GetValue(context);
            if (ctx < 2) throw new ArgumentException($"--context must be at least 2, got {ctx}");

            string? modelDir = parse.GetValue(model);
            if (modelDir != null) CommandHelpers.RequireFile(modelDir, "--model");
            var tokenizer = ClipTokenizer.ForModelDirectory(modelDir);

            var output = parse.InvocationConfiguration.Output;
            bool asJson = parse.GetValue(json), isPadded = parse.GetValue(padded), cut = parse.GetValue(truncate);
            var line = new StringBuilder();
            var row = new int[ctx];
            var ids = new List<int>();
            for (int t = 0; t < texts.Count; t++)
            {
                IEnumerable<int> values;
                if (isPadded)
                {
                    tokenizer.EncodeRow(texts[t], row, cut, t);
                    values = row;
                }
                else
                {
                    ids.Clear();
                    tokenizer.EncodeIds(texts[t], ids);
                    values = ids;
                }
                line.Clear();
                if (asJson) line.Append('[').AppendJoin(',', values).Append(']');
                else line.AppendJoin(' ', values);
                output.WriteLine(line.ToString());
            }
            output.Flush();
            return 0;
        });
        return command;
    }

    /// <summary>Reads a JSON array of strings, or an object whose "texts" member is one.</summary>
    internal static List<string> ReadTextsFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("texts", out var inner)) root = inner;
        if (root.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: expected a JSON array of strings or {{\"texts\": [...]}}, found {root.ValueKind}");
        var texts = new List<string>(root.GetArrayLength());
        int i = 0;
        foreach (var e in root.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{path}: texts[{i}] is {e.ValueKind}, expected a string");
            texts.Add(e.GetString()!);
            i++;
        }
        return texts;
    }
}
