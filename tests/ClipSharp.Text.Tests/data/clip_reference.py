"""A small re-implementation of the CLIP reference tokenizer, used only to generate test data.

Needs Python 3 with `ftfy` (6.x) and `regex` importable (PYTHONPATH may point at an ftfy checkout).
Not used by the product or by the C# tests at run time.
"""
import functools
import gzip
import html

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
