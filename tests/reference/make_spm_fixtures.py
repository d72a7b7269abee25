#!/usr/bin/python3
"""Deterministic SentencePiece tokenizer fixtures for tests/ClipSharp.Text.Tests (issue 14).

Run: /usr/bin/python3 tests/reference/make_spm_fixtures.py   (Debian python3-sentencepiece 0.1.97)
Trains two small models over a generated multilingual corpus (Latin, Cyrillic, Greek, CJK, Arabic,
Devanagari, emoji, combining marks, whitespace runs, NFKC-affected forms):
  unigram: nmt_nfkc normaliser, default whitespace handling, user-defined symbols (SigLIP-like)
  bpe:     byte_fallback (256 <0xNN> pieces), identity normaliser, no dummy prefix, whitespace kept (Gemma-like)
Writes tests/ClipSharp.Text.Tests/data/spm/{unigram,bpe}.model and {unigram,bpe}_ids.jsonl.gz
(one {"text", "ids"} per line; ids = sp.encode(text), no bos/eos) for held-out test lines.
"""
import gzip, io, json, os, random, sys
import sentencepiece as spm

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ClipSharp.Text.Tests", "data", "spm")
rng = random.Random(14)

WORDS = {
 "latin": "the a photo of cat dog running quickly über straße café naïve façade résumé jalapeño smörgåsbord zoë ça va bien hello world red blue tree house water fire".split(),
 "cyr": "привет мир кошка собака фотография красный дом вода огонь быстро ёлка щука".split(),
 "greek": "καλημέρα κόσμε γάτα σκύλος φωτογραφία".split(),
 "cjk": ["一只猫的照片", "东京", "北京大学", "日本語のテキスト", "ひらがな", "カタカナ", "한국어", "사진", "漢字", "狗"],
 "arabic": "مرحبا بالعالم صورة قطة كلب ماء نار".split(),
 "hindi": "नमस्ते दुनिया बिल्ली कुत्ता".split(),
 "emoji": ["😀", "🐱", "👍🏽", "🇯🇵", "👨‍👩‍👧", "❤️", "🔥", "✨"],
 "combining": ["e\u0301", "a\u0308", "n\u0303", "o\u0302\u0323", "Z\u0335\u0321", "\u0301x"],
 "nfkc": ["ｆｕｌｌｗｉｄｔｈ", "①②③", "ﬁ", "㎏", "Ⅻ", "ｶﾀｶﾅ", "\u00bd", "x\u00b2", "\u2126"],
 "punct": [",", ".", "!", "?", "...", "-", "(", ")", "\"", "'", ":", ";", "#", "@", "%", "&", "/", "$5.99", "2026", "3.14"],
}
ALPHABETS = ["abcdefghijklmnopqrstuvwxyzéèüöäßñç", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
             "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "αβγδεζηθικλμνξοπρστυφχψω"]
for i, a in enumerate(ALPHABETS):
    WORDS["gen%d" % i] = ["".join(rng.choice(a) for _ in range(rng.randint(2, 9))) for _ in range(400)]
WORDS["gencjk"] = ["".join(chr(rng.randint(0x4e00, 0x4fff)) for _ in range(rng.randint(1, 4))) for _ in range(400)]
WORDS["genhangul"] = ["".join(chr(rng.randint(0xac00, 0xad00)) for _ in range(rng.randint(1, 3))) for _ in range(200)]
SPACES = [" ", " ", " ", " ", "  ", "   ", "\t", "\n", "\u3000", "\u00a0", " \t "]

def sentence(max_words):
    cats = list(WORDS)
    n = rng.randint(1, max_words)
    out = []
    for _ in range(n):
        c = rng.choice(cats)
        w = rng.choice(WORDS[c])
        if rng.random() < 0.1: w = w.upper()
        if rng.random() < 0.1: w = w.capitalize()
        out.append(w)
        out.append(rng.choice(SPACES))
    s = "".join(out)
    r = rng.random()
    if r < 0.05: s = "  " + s
    elif r < 0.1: s = s.rstrip()
    return s

def main():
    os.makedirs(OUT, exist_ok=True)
    train = [sentence(12) for _ in range(20000)]
    uds = ["<mask>", "[SEP]", "▁photo"]
    specs = {
        "unigram": dict(model_type="unigram", vocab_size=4000, hard_vocab_limit=False, normalization_rule_name="nmt_nfkc",
                        user_defined_symbols=uds[:2], character_coverage=0.995),
        "bpe": dict(model_type="bpe", vocab_size=4000, hard_vocab_limit=False, byte_fallback=True, normalization_rule_name="identity",
                    add_dummy_prefix=False, remove_extra_whitespaces=False, split_by_whitespace=True,
                    user_defined_symbols=uds[:2], character_coverage=0.995),
    }
    tests = [""] + ["", " ", "   ", "\t\n", "<mask>", "a<mask>b [SEP] c", "\u0301", "x" * 400]
    while len(tests) < 6000:
        r = rng.random()
        if r < 0.05: tests.append(sentence(120))        # far past a 64-token context
        elif r < 0.1: tests.append("".join(rng.choice(SPACES) for _ in range(rng.randint(1, 6))))
        elif r < 0.15: tests.append(sentence(6) + rng.choice(["<mask>", "[SEP]"]) + sentence(4))
        elif r < 0.2: tests.append("".join(chr(rng.choice([rng.randint(0x20, 0x7e), rng.randint(0xa0, 0x2fff), rng.randint(0x4e00, 0x9fff), rng.randint(0x1f300, 0x1faff)])) for _ in range(rng.randint(1, 30))))
        else: tests.append(sentence(15))
    for name, kw in specs.items():
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(train), model_writer=model, num_threads=1,
                                       seed_sentencepiece_size=200000, minloglevel=2, **kw)
        path = os.path.join(OUT, name + ".model")
        with open(path, "wb") as f: f.write(model.getvalue())
        sp = spm.SentencePieceProcessor(model_file=path)
        with gzip.GzipFile(os.path.join(OUT, name + "_ids.jsonl.gz"), "wb", mtime=0) as g:
            for t in tests:
                g.write((json.dumps({"text": t, "ids": sp.encode(t)}, ensure_ascii=False) + "\n").encode())
        print(name, sp.get_piece_size(), "pieces,", len(tests), "test lines", file=sys.stderr)

if __name__ == "__main__":
    main()
