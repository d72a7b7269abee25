#!/usr/bin/python3
"""SentencePiece tokenizer for the SigLIP fixture models (issue 14), so text goes end to end through them.

Run: /usr/bin/python3 tests/reference/make_siglip_tokenizer.py   (Debian python3-sentencepiece 0.1.97)
The fixtures' text towers have vocab_size 320 (tests/reference/siglip_ref.py), so this trains a 320-piece
unigram model (SigLIP-like ids: pad 0, eos 1, unk 2, no bos) over a generated English prompt corpus and writes
spiece.model + tokenizer_config.json into tests/ClipSharp.Tests/data/siglip/{siglip-fixres,siglip2-naflex}/.
Deterministic: fixed seed, one thread.
"""
import io, json, os, random
import sentencepiece as spm

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ClipSharp.Tests", "data", "siglip")
VOCAB = 320
rng = random.Random(1414)
NOUNS = "cat dog rocket astronaut coffee cup car tree house bird horse ship plane flower mountain river city beach".split()
ADJS = "red blue green small large old new bright dark wet dry happy tiny famous".split()
TEMPLATES = ["a photo of a {}", "a picture of the {}", "an image of a {} {}", "the {} is {}", "a {} next to a {}",
             "this is a photo of my {}", "a close up photo of the {} {}", "a drawing of a {}"]

def line():
    t = rng.choice(TEMPLATES)
    words = [rng.choice(ADJS + NOUNS) for _ in range(t.count("{}"))]
    return t.format(*words)

def main():
    corpus = [line() for _ in range(4000)]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(corpus), model_writer=model, vocab_size=VOCAB,
                                   model_type="unigram", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
                                   character_coverage=1.0, num_threads=1, hard_vocab_limit=False)
    sp = spm.SentencePieceProcessor(model_proto=model.getvalue())
    assert sp.vocab_size() <= VOCAB, sp.vocab_size()
    config = {"tokenizer_class": "SiglipTokenizer", "do_lower_case": True, "model_max_length": 16,
              "pad_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>"}
    for name in ("siglip-fixres", "siglip2-naflex"):
        d = os.path.join(ROOT, name)
        with open(os.path.join(d, "spiece.model"), "wb") as f: f.write(model.getvalue())
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f: json.dump(config, f, indent=2)
    print("vocab", sp.vocab_size(), "example", sp.encode("a photo of a cat"))

if __name__ == "__main__":
    main()
