"""Generates the character data ClipSharp.Text needs to reproduce Python's text behaviour exactly.

Run from the repository root with Python 3 and the `regex` module installed:
    python3 scripts/text/gen_text_tables.py

Every table is measured by probing the Python runtime (the `regex` module, str methods, the codecs and
html.entities), one code point at a time, so the C# side reproduces what the reference tokenizer's
Python actually does rather than what a Unicode table says it should do.

Writes:
  src/ClipSharp.Text/Unicode/PythonCharData.g.cs     code point classes and str.lower mappings
  src/ClipSharp.Text/Cleaning/CodePageTables.g.cs    the single-byte code pages used to undo mojibake
  src/ClipSharp.Text/Resources/html5_entities.txt    the HTML5 named character references
"""
import codecs
import html
import html.entities
import sys
import unicodedata

import regex

OUT_CHARS = "src/ClipSharp.Text/Unicode/PythonCharData.g.cs"
OUT_PAGES = "src/ClipSharp.Text/Cleaning/CodePageTables.g.cs"
OUT_ENTITIES = "src/ClipSharp.Text/Resources/html5_entities.txt"

MAX = 0x110000


def ranges(pred):
    """Sorted inclusive [start, end] runs of code points for which pred holds."""
    out, start = [], None
    for cp in range(MAX):
        if pred(cp):
            if start is None:
                start = cp
        elif start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, MAX - 1))
    return out


def cs_ranges(name, runs, doc):
    flat = ", ".join(f"0x{a:X}, 0x{b:X}" for a, b in runs)
    return f"    /// <summary>{doc} Inclusive pairs (start, end), sorted.</summary>\n" \
           f"    internal static ReadOnlySpan<int> {name} => [{flat}];\n"


def char_data():
    letter = regex.compile(r"[\p{L}]", regex.IGNORECASE)
    number = regex.compile(r"[\p{N}]", regex.IGNORECASE)
    other = regex.compile(r"[^\s\p{L}\p{N}]", regex.IGNORECASE)
    space = regex.compile(r"\s")

    # Python's str.lower turns capital sigma final when a cased letter precedes it (skipping
    # case-ignorable code points) and none follows. Probe the two properties it consults.
    def cased_not_ignorable(cp):
        return ("1" + chr(cp) + "\u03a3").lower()[-1] == "\u03c2"

    def ignorable_or_cased(cp):
        return ("A\u03a3" + chr(cp) + "B").lower()[1] == "\u03c3"

    sur = lambda cp: 0xD800 <= cp <= 0xDFFF
    parts = [
        cs_ranges("RegexLetter", ranges(lambda cp: not sur(cp) and bool(letter.fullmatch(chr(cp)))),
                  "Code points matched by the regex module's [\\p{L}] under IGNORECASE."),
        cs_ranges("RegexNumber", ranges(lambda cp: not sur(cp) and bool(number.fullmatch(chr(cp)))),
                  "Code points matched by the regex module's [\\p{N}] under IGNORECASE."),
        cs_ranges("RegexOther", ranges(lambda cp: not sur(cp) and bool(other.fullmatch(chr(cp)))),
                  "Code points matched by the regex module's [^\\s\\p{L}\\p{N}] under IGNORECASE."),
        cs_ranges("RegexSpace", ranges(lambda cp: not sur(cp) and bool(space.fullmatch(chr(cp)))),
                  "Code points matched by the regex module's \\s."),
        cs_ranges("PythonSpace", ranges(lambda cp: chr(cp).isspace()),
                  "Code points for which Python's str.isspace() is true (what str.strip() removes)."),
        cs_ranges("CasedNotIgnorable", ranges(lambda cp: not sur(cp) and cased_not_ignorable(cp)),
                  "Cased and not case-ignorable, as Python's final-sigma rule sees them."),
    ]
    ci = ranges(lambda cp: not sur(cp) and ignorable_or_cased(cp) and not cased_not_ignorable(cp))
    parts.append(cs_ranges("CaseIgnorable", ci, "Case-ignorable, as Python's final-sigma rule sees them."))

    keys, lens, vals = [], [], []
    for cp in range(MAX):
        if sur(cp) or cp == 0x3A3:
            continue
        low = chr(cp).lower()
        if low != chr(cp):
            keys.append(cp)
            lens.append(len(low))
            vals.extend(ord(c) for c in low)
    body = "".join(parts)
    body += "    /// <summary>Code points that Python's str.lower() changes (capital sigma aside), sorted.</summary>\n"
    body += "    internal static ReadOnlySpan<int> LowerKeys => [" + ", ".join(f"0x{k:X}" for k in keys) + "];\n"
    body += "    /// <summary>How many code points each LowerKeys entry lowers to.</summary>\n"
    body += "    internal static ReadOnlySpan<byte> LowerLengths => [" + ", ".join(map(str, lens)) + "];\n"
    body += "    /// <summary>The lowered code points, concatenated in LowerKeys order.</summary>\n"
    body += "    internal static ReadOnlySpan<int> LowerValues => [" + ", ".join(f"0x{v:X}" for v in vals) + "];\n"

    # Non-ASCII code points that the regex module matches, case-insensitively, against the ASCII
    # letters of the special tokens and contractions.
    folds = []
    for ch in sorted(set("startoftextendoftextsrevmld")):
        for cp in range(0x80, MAX):
            if not sur(cp) and regex.fullmatch(ch, chr(cp), regex.IGNORECASE):
                folds.append((cp, ord(ch)))
    body += "    /// <summary>Pairs (code point, ASCII letter) that IGNORECASE matching treats as equal.</summary>\n"
    body += "    internal static ReadOnlySpan<int> AsciiFolds => [" + ", ".join(f"0x{a:X}, 0x{b:X}" for a, b in folds) + "];\n"

    header = (
        "// <auto-generated> by scripts/text/gen_text_tables.py from Python "
        f"{sys.version.split()[0]} (unicodedata {unicodedata.unidata_version}), regex {regex.__version__}. Do not edit. </auto-generated>\n"
        "namespace ClipSharp.Text.Unicode;\n\n"
        "/// <summary>Character properties measured from Python, in the exact form the tokenizer consults.</summary>\n"
        "internal static class PythonCharData\n{\n")
    with open(OUT_CHARS, "w", encoding="utf-8") as f:
        f.write(header + body + "}\n")


CODE_PAGES = [
    ("Latin1", "latin-1", False),
    ("SloppyWindows1252", "windows-1252", True),
    ("SloppyWindows1251", "windows-1251", True),
    ("SloppyWindows1250", "windows-1250", True),
    ("SloppyWindows1253", "windows-1253", True),
    ("SloppyWindows1254", "windows-1254", True),
    ("SloppyWindows1257", "windows-1257", True),
    ("Iso8859_2", "iso-8859-2", False),
    ("MacRoman", "mac-roman", False),
    ("Cp437", "cp437", False),
]


def code_pages():
    lines = [
        "// <auto-generated> by scripts/text/gen_text_tables.py from Python's codecs. Do not edit. </auto-generated>\n",
        "namespace ClipSharp.Text.Cleaning;\n\n",
        "/// <summary>\n",
        "/// The 256 characters of each single-byte code page that mojibake repair tries, in the order it tries\n",
        "/// them. \"Sloppy\" pages decode the bytes a Windows code page leaves undefined as the Latin-1 character\n",
        "/// of the same number, and byte 0x1A as U+FFFD.\n",
        "/// </summary>\n",
        "internal static class CodePageTables\n{\n",
    ]
    names = []
    for name, enc, sloppy in CODE_PAGES:
        chars = []
        for b in range(256):
            try:
                c = bytes([b]).decode(enc)
            except UnicodeDecodeError:
                c = chr(b) if sloppy else None
            if sloppy and b == 0x1A:
                c = "\ufffd"
            assert c is not None and len(c) == 1, (enc, b)
            chars.append(c)
        assert len(set(chars)) == 256, enc
        lines.append(f"    internal const string {name} =\n        \"" +
                     "".join(f"\\u{ord(c):04X}" for c in chars) + "\";\n")
        names.append(name)
    lines.append("}\n")
    with open(OUT_PAGES, "w", encoding="utf-8") as f:
        f.write("".join(lines))


def entities():
    out = ["# HTML5 named character references (html.entities.html5), generated by scripts/text/gen_text_tables.py.\n",
           "# name<TAB>code points (hex)<TAB>code points of the upper-cased alias that ftfy also accepts, or -\n"]
    for name, value in sorted(html.entities.html5.items()):
        upper = "-"
        if name.endswith(";") and name == name.lower():
            alias = "&" + name.upper()
            if html.unescape(alias) == alias:
                upper = " ".join(f"{ord(c):X}" for c in value.upper())
        out.append(f"{name}\t{' '.join(f'{ord(c):X}' for c in value)}\t{upper}\n")
    with open(OUT_ENTITIES, "w", encoding="utf-8") as f:
        f.write("".join(out))


if __name__ == "__main__":
    code_pages()
    entities()
    char_data()
