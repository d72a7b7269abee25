#!/usr/bin/python3
"""python3-sentencepiece encode throughput on the same lines (best of 10, single thread)."""
import gzip, json, sys, time, sentencepiece as spm
sp = spm.SentencePieceProcessor(model_file=sys.argv[1])
texts = [json.loads(l)["text"] for l in gzip.open(sys.argv[2], "rt", encoding="utf-8")]
for t in texts: sp.encode(t)
best = 0
for _ in range(10):
    t0 = time.perf_counter()
    for t in texts: sp.encode(t)
    best = max(best, len(texts) / (time.perf_counter() - t0))
print(f"python-sentencepiece {sys.argv[1].split('/')[-1]}: {best:,.0f} texts/s single thread (best of 10, {len(texts)} lines, encode per line)")
