"""Builds hard_corpus.json.gz: a few thousand deliberately awkward lines and the ids the CLIP reference
tokenizer gives them, for ClipSharp.Text's parity test.

Usage (from this folder):
    python3 make_reference.py [--vocab path/to/bpe_simple_vocab_16e6.txt.gz] [--seed N] [--size N] [--out FILE]
The committed hard_corpus.json.gz is the default seed and size; other seeds (or --all-code-points)
give fresh corpora to measure against: dotnet run -c Release --project bench/TokenizerBench -- compare FILE

Needs Python 3 with `ftfy` (6.x) and `regex` importable (PYTHONPATH may point at an ftfy source
checkout). `Reference` below is our own small re-implementation of the reference algorithm
(openai/CLIP simple_tokenizer: ftfy.fix_text, html.unescape twice, whitespace collapse, lower-case,
the CLIP regex, byte-level BPE). The corpus is generated deterministically (fixed seed) by `corpus()`.
Not used by the product or by the C# tests at run time.
"""
import functools
import gzip
import html
import json
import random
import sys
import unicodedata

import ftfy
import regex


def byte_map():
    """The byte -> printable unicode map: printable Latin-1 bytes map to themselves, the rest to 256+n."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = keep[:]
    extra = 0
    for b in range(256):
        if b not in keep:
            keep.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(keep, chars)}


def clean(text):
    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text))
    text = text.strip()
    text = regex.sub(r"\s+", " ", text)
    return text.strip().lower()


class Reference:
    def __init__(self, merges_gz):
        lines = gzip.open(merges_gz).read().decode("utf-8").split("\n")
        merges = [tuple(l.split()) for l in lines[1:49152 - 256 - 2 + 1]]
        self.bmap = byte_map()
        vocab = list(self.bmap.values())
        vocab += [v + "</w>" for v in vocab]
        vocab += ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = {v: i for i, v in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.pat = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE)

    @functools.lru_cache(maxsize=None)
    def bpe(self, token):
        if token in ("<|startoftext|>", "<|endoftext|>"):
            return token
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return " ".join(word)

    def encode(self, text):
        ids = []
        for tok in self.pat.findall(clean(text)):
            tok = "".join(self.bmap[b] for b in tok.encode("utf-8"))
            ids.extend(self.encoder[p] for p in self.bpe(tok).split(" "))
        return ids


# ---------------------------------------------------------------------------------------------------
# The corpus

SENTENCES = [
    "A photo of a cat sitting on the windowsill.",
    "The quick brown fox jumps over the lazy dog's back; it's fine, we'll see, they've gone, I'm here, you'd know, they're OK.",
    "Größere Straßen führen über die Brücke nach Köln.",
    "L'été dernier, nous sommes allés à la plage près de Nîmes — c'était génial!",
    "¿Dónde está la estación de tren? ¡Está allí, señor!",
    "A expressão \"não há problema\" é muito comum em São Paulo.",
    "Zażółć gęślą jaźń, powiedział Łukasz.",
    "Příliš žluťoučký kůň úpěl ďábelské ódy.",
    "İstanbul'da ılık bir sabah; IĞDIR ve ŞIRNAK kışın soğuk.",
    "ΟΔΥΣΣΕΥΣ ΚΑΙ Η ΠΗΝΕΛΟΠΗ. Ο Σωκράτης είπε: «ἓν οἶδα ὅτι οὐδὲν οἶδα». ΣΑΣ ΛΕΣ Σ.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "Їжак і ґава з'їли щось у Києві.",
    "مرحبا بالعالم، هذه صورة قطة جميلة ١٢٣٤.",
    "שלום עולם, זו תמונה של חתול.",
    "नमस्ते दुनिया, यह एक बिल्ली की तस्वीर है। १२३",
    "আমি বাংলায় গান গাই।",
    "தமிழ் ஒரு பழமையான மொழி.",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ",
    "我爱北京天安门，天安门上太阳升。",
    "東京都の猫の写真です。カタカナとひらがな、漢字。",
    "한국어 문장입니다. 고양이 사진이에요.",
    "Tiếng Việt có nhiều dấu: ắ ằ ẳ ẵ ặ, người Việt.",
    "ქართული ენა ძალიან ლამაზია.",
    "Հայերեն լեզուն գեղեցիկ է։",
    "ኢትዮጵያ አማርኛ ቋንቋ።",
    "Ñandutí y pingüino en el año 2024.",
    "Æsir og Ørsted i Åbenrå; þorn og ðæt.",
    "Cañón, crème brûlée, naïve café, façade, smörgåsbord, jalapeño.",
    "E = mc², ½ + ¼ = ¾, x³ − y³, 10⁻⁶ m, Ⅻ o'clock, ① ② ③.",
    "Prices: $5, €10, £7.50, ¥1000, ₹300, ₿0.01, 100%.",
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 🇯🇵🇺🇸 1️⃣ #️⃣ ❤️ 🏴󠁧󠁢󠁷󠁬󠁳󠁿 🧑🏿‍🚀",
    "Math letters: 𝒥𝓸𝓱𝓷 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 𝕯𝖔𝖚𝖇𝖑𝖊 𝟙𝟚𝟛 and 𝐁𝐨𝐥𝐝.",
    "Rare scripts: 𐌰𐌱𐌲 (Gothic), 𓀀𓀁 (hieroglyphs), 𠀀𠀁 (CJK ext B), ᚠᚢᚦ (runes).",
    "https://example.com/path?q=a+b&lang=en#frag and user@example.org",
    "C:\\\\Program Files\\\\App\\\\bin; /usr/local/bin; ~/.config/app.json",
    "snake_case_name, camelCaseName, PascalCase, kebab-case, SCREAMING_CASE",
    "Numbers 3.14159, 1,000,000, -42, +7, 0x1F, 1e-9, ٣٫١٤, ३.१४, ３．１４",
    "<|startoftext|>hello<|endoftext|> <|ENDOFTEXT|> <|endoftext|>world<|ſtartoftext|>",
    "Contractions: IT'S, THEY'LL, WE'RE, I'VE, SHE'D, I'M, DON'T, it'ſ, 'LL, 'Re, rock'n'roll",
    "Tabs\tand\nnewlines\r\nand\rcarriage returns\u2028line sep\u2029para sep\u0085next line",
]

ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f", "\u180e", "\u061c", "\u200e", "\u200f", "\u202a", "\u202e"]
SPACES = ["\u00a0", "\u1680", "\u2000", "\u2003", "\u2007", "\u2009", "\u200a", "\u202f", "\u205f", "\u3000", "\x1c", "\x1d", "\x1e", "\x1f", "\x0b", "\x0c", "\t", "\r", "\n", "\x85"]
CONTROLS = [chr(c) for c in range(0, 32)] + ["\x7f"] + [chr(c) for c in range(0x80, 0xa0)] + ["\u206a", "\u206f", "\ufff9", "\ufffb", "\ufffc", "\ufffd"]
LIGATURES = ["ﬀ", "ﬁ", "ﬂ", "ﬃ", "ﬄ", "ﬅ", "ﬆ", "Ĳ", "ĳ", "ŉ", "Ǆ", "ǅ", "ǆ", "Ǉ", "ǈ", "ǉ", "Ǌ", "ǋ", "ǌ", "Ǳ", "ǲ", "ǳ", "Œ", "œ", "ß", "ẞ"]
QUOTES = ["‘", "’", "‚", "‛", "“", "”", "„", "‟", "ʼ", "«", "»", "‹", "›", "′", "″", "＂", "＇", "`", "´"]
ENTITIES = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&nbsp;", "&eacute;", "&EACUTE;", "&Eacute;", "&eAcute;", "&szlig;",
            "&SZLIG;", "&hellip;", "&mdash;", "&copy", "&reg", "&not", "&notin;", "&notit;", "&amp", "&ampx", "&#65;", "&#x41;",
            "&#X263A;", "&#0;", "&#13;", "&#128;", "&#x80;", "&#150;", "&#x9f;", "&#xD800;", "&#1114112;", "&#99999999999;",
            "&#x110000;", "&#xFFFE;", "&#11;", "&#x1F600;", "&#128512;", "&#65", "&#x41", "&#;", "&#x;", "&unknown;", "&amp;amp;",
            "&amp;lt;", "&amp;amp;amp;", "&Jscr;", "&HilbertSpace;", "&checkmark;", "&NotNestedGreaterGreater;", "&fjlig;",
            "&ThickSpace;", "&CounterClockwiseContourIntegral;", "&lt", "&gtx", "&ltimes;", "&AMP;", "&AMP", "&LT", "&Aring;",
            "&aring", "&frac12;", "&sup2;", "&ntilde; &Ntilde; &NTILDE; &nTILDE;", "&#65abc;", "&#x41g;", "&&amp;", "& amp;",
            "&#0065;", "&#x0000041;", "&#55357;&#56832;", "&zwj;", "&shy;", "&ensp;&emsp;&thinsp;", "&Sigma;&sigma;&sigmaf;"]
COMBINING = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0308", "\u030a", "\u0327", "\u0328", "\u0331", "\u0345", "\u0307", "\u20dd", "\u0489", "\u1ab0", "\u1dc0", "\ufe20", "\u3099", "\u309a"]
EMOJI = ["😀", "🐱", "🚀", "👍", "👍🏻", "👍🏿", "👨‍👩‍👧‍👦", "👩‍❤️‍💋‍👨", "🏳️‍🌈", "🏳️‍⚧️", "🇫🇷", "🇧🇷", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️", "❤", "☺️", "✌🏽", "🧑‍🤝‍🧑", "🫠", "🪿", "🫨", "©️", "™", "🔟", "*️⃣", "🤷‍♀️", "🙋🏼‍♂️", "💩"]
HALFWIDTH = "ｱｲｳｴｵｶﾞｷﾞﾊﾟﾋﾟｰ｡｢｣､･ﾝﾞﾟ ￠￡￢￣￤￥￦ ﾡﾢﾣ"
BLOCKS = [(0x20, 0x7e), (0xa0, 0x24f), (0x250, 0x2ff), (0x300, 0x36f), (0x370, 0x3ff), (0x400, 0x4ff), (0x530, 0x58f),
          (0x590, 0x5ff), (0x600, 0x6ff), (0x900, 0x97f), (0x980, 0x9ff), (0xe00, 0xe7f), (0x10a0, 0x10ff), (0x1100, 0x11ff),
          (0x1e00, 0x1eff), (0x1f00, 0x1fff), (0x2000, 0x206f), (0x2070, 0x209f), (0x20a0, 0x20cf), (0x2100, 0x214f),
          (0x2150, 0x218f), (0x2190, 0x21ff), (0x2200, 0x22ff), (0x2460, 0x24ff), (0x2500, 0x257f), (0x2580, 0x25ff),
          (0x2600, 0x26ff), (0x2c60, 0x2c7f), (0x3000, 0x303f), (0x3040, 0x30ff), (0x3130, 0x318f), (0x3200, 0x32ff),
          (0x3300, 0x33ff), (0x4e00, 0x4fff), (0xa640, 0xa69f), (0xa720, 0xa7ff), (0xab30, 0xab6f), (0xac00, 0xad00),
          (0xfb00, 0xfb4f), (0xfe30, 0xfe4f), (0xfe50, 0xfe6f), (0xff00, 0xffef), (0x10400, 0x1044f), (0x1d400, 0x1d7ff),
          (0x1f300, 0x1f5ff), (0x1f600, 0x1f64f), (0x1f900, 0x1f9ff), (0x20000, 0x20100)]
MOJIBAKE_CODECS = ["windows-1252", "latin-1", "windows-1251", "windows-1250", "windows-1253", "windows-1254", "windows-1257",
                   "iso-8859-2", "mac-roman", "cp437", "iso-8859-15", "cp850"]


def mojibake(rng, s):
    """Encode as UTF-8 and decode in a single-byte code page, with the usual real-world damage."""
    codec = rng.choice(MOJIBAKE_CODECS)
    raw = s.encode("utf-8")
    how = rng.random()
    out = raw.decode(codec, errors="replace")
    if how < 0.15:
        out = out.replace("\xa0", " ")                      # NBSP flattened to a space
    elif how < 0.25:
        out = out.encode("utf-8").decode(codec, errors="replace")   # twice
    elif how < 0.35:
        cut = rng.randrange(len(out) + 1)                   # partly fixed text around it
        out = s[:cut // 2] + out[cut // 2:]
    elif how < 0.42:
        out = "".join("?" if (c == "\ufffd" or (0x80 <= ord(c) < 0xa0)) else c for c in out)
    elif how < 0.5:
        out = raw.decode("utf-8") + " / " + out             # good and bad together
    return out


def upper_variant(rng, s):
    r = rng.random()
    return s.upper() if r < 0.5 else s.title() if r < 0.8 else s.swapcase()


def sprinkle(rng, s, pool, k):
    chars = list(s)
    for _ in range(k):
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(pool))
    return "".join(chars)


def fullwidth(s):
    return "".join(chr(ord(c) + 0xfee0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def soup(rng, n):
    out = []
    for _ in range(n):
        lo, hi = rng.choice(BLOCKS)
        cp = rng.randint(lo, hi)
        if 0xd800 <= cp <= 0xdfff:
            continue
        out.append(chr(cp))
        if rng.random() < 0.2:
            out.append(" ")
    return "".join(out)


def corpus(seed=20240611, size=4000):
    rng = random.Random(seed)
    lines = list(SENTENCES)
    lines += [e for e in ENTITIES]
    lines += ["x" + e + "y" for e in ENTITIES]
    transforms = [
        lambda s: mojibake(rng, s),
        lambda s: mojibake(rng, s),
        lambda s: mojibake(rng, s),
        lambda s: upper_variant(rng, s),
        lambda s: sprinkle(rng, s, ZW, rng.randint(1, 4)),
        lambda s: sprinkle(rng, s, SPACES, rng.randint(1, 6)),
        lambda s: sprinkle(rng, s, CONTROLS, rng.randint(1, 4)),
        lambda s: sprinkle(rng, s, LIGATURES, rng.randint(1, 4)),
        lambda s: sprinkle(rng, s, QUOTES, rng.randint(1, 4)),
        lambda s: sprinkle(rng, s, [" " + e + " " for e in ENTITIES] + ENTITIES, rng.randint(1, 3)),
        lambda s: sprinkle(rng, s, COMBINING, rng.randint(1, 6)),
        lambda s: sprinkle(rng, s, EMOJI, rng.randint(1, 4)),
        lambda s: sprinkle(rng, s, list(HALFWIDTH), rng.randint(1, 5)),
        lambda s: fullwidth(s),
        lambda s: unicodedata.normalize("NFD", s),
        lambda s: unicodedata.normalize("NFKD", s),
        lambda s: "\x1b[1;31m" + s + "\x1b[0m",
        lambda s: s + " <b>bold</b> &amp; more",
        lambda s: s.replace(" ", "\n", 1) + "\n<i>x</i> &eacute;\n&amp;",
        lambda s: " ".join([s] * rng.randint(2, 4)),
        lambda s: s + " " + soup(rng, rng.randint(3, 20)),
    ]
    while len(lines) < size:
        r = rng.random()
        if r < 0.12:
            lines.append(soup(rng, rng.randint(1, 40)))
            continue
        s = rng.choice(SENTENCES)
        if rng.random() < 0.4:                              # a fragment, so lines vary in length
            words = s.split(" ")
            a = rng.randrange(len(words))
            s = " ".join(words[a:a + rng.randint(1, 8)])
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
            s = rng.choice(transforms)(s)
        lines.append(s)
    # Texts JSON can carry: no lone surrogates.
    return [l for l in lines if not any(0xd800 <= ord(c) <= 0xdfff for c in l)]


def all_code_points(step=32):
    """Every code point but the surrogates, in two contexts: after 'a', and upper-cased + as-is."""
    texts = []
    for start in range(0, 0x110000, step):
        cps = [c for c in range(start, min(start + step, 0x110000)) if not (0xD800 <= c <= 0xDFFF)]
        if cps:
            texts.append("".join("a" + chr(c) for c in cps) + " ")
            texts.append(" ".join(chr(c).upper() + chr(c) for c in cps))
    return texts


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--vocab", default="../../../../shared/data/bpe_simple_vocab_16e6.txt.gz")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--out", default="hard_corpus.json.gz")
    ap.add_argument("--all-code-points", action="store_true",
                    help="instead of the corpus: every code point (about 70,000 lines, 15 MB; not committed)")
    args = ap.parse_args()
    ref = Reference(args.vocab)
    texts = all_code_points() if args.all_code_points else corpus(args.seed, args.size)
    ids = [ref.encode(t) for t in texts]
    doc = {
        "generator": "tests/ClipSharp.Text.Tests/data/make_reference.py",
        "python": sys.version.split()[0],
        "unicodedata": unicodedata.unidata_version,
        "ftfy": getattr(ftfy, "__version__", "?"),
        "regex": regex.__version__,
        "texts": texts,
        "token_ids": ids,
    }
    with gzip.GzipFile(args.out, "wb", mtime=0) as f:
        f.write(json.dumps(doc, ensure_ascii=True).encode("ascii"))
    print(f"wrote {len(texts)} lines, {sum(map(len, ids))} ids")


if __name__ == "__main__":
    main()
