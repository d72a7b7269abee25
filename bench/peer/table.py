#!/usr/bin/env python3
"""Prints bench/run.sh's table from its results JSONL: each side's best round, and ClipSharp's ratios."""
import json, sys
from collections import defaultdict

path, arch, batch, text_batch = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
runs, agreement = defaultdict(list), {}
for line in open(path):
    rec = json.loads(line)
    if "agreement" in rec:
        agreement[rec["side"]] = rec["agreement"]
    else:
        runs[rec["side"]].append(rec["r"])

def best(side, key, lower=False):
    vals = [r[key] for r in runs[side] if r.get(key) is not None]
    return (min if lower else max)(vals) if vals else float("nan")

cols = [("images/s b" + batch, "images_per_s", False), ("image ms b1", "image_latency_ms", True),
        ("texts/s b" + text_batch, "texts_per_s", False), ("text ms b1", "text_latency_ms", True),
        ("peak RSS MB", "peak_rss_mb", True)]
sides = [s for s in runs if not s.startswith("clipsharp")] + [s for s in ("clipsharp", "clipsharp-int8") if s in runs]
print(f"{arch}: best of {len(runs['clipsharp'])} interleaved round(s) per side")
print(f"| side | " + " | ".join(c[0] for c in cols) + " | cosine vs ClipSharp fp32 (image, text) |")
print("|---|" + "---:|" * len(cols) + "---|")
for s in sides:
    agree = agreement.get(s)
    cos = f"{agree['image_cosine_min']:.6f}, {agree['text_cosine_min']:.6f}" if agree else \
        (f"int8 vs fp32 image min {best(s, 'int8_cosine_min', True):.5f}" if s == "clipsharp-int8" else "")
    name = runs[s][0].get("peer", s) if not s.startswith("clipsharp") else s
    print(f"| {name} | " + " | ".join(f"{best(s, k, low):.2f}" for _, k, low in cols) + f" | {cos} |")
print()
for ours in ("clipsharp", "clipsharp-int8"):
    if ours not in runs:
        continue
    for s in sides:
        if s.startswith("clipsharp"):
            continue
        ratios = []
        for label, key, lower in cols[:4]:
            a, b = best(ours, key, lower), best(s, key, lower)
            ratios.append(f"{label} {(b / a if lower else a / b):.2f}x")
        print(f"{ours} vs {s}: " + ", ".join(ratios) + "  (>1 = ClipSharp ahead; latency as speed ratio)")
if "clipsharp" in runs and runs["clipsharp"][0].get("peak_gflops"):
    g = best("clipsharp", "image_gflops"); pk = best("clipsharp", "peak_gflops")
    print(f"clipsharp image encoder: {g:.1f} GFLOP/s = {g / pk:.0%} of the highest FMA peak measured ({pk:.0f} GFLOP/s), "
          f"ISA {runs['clipsharp'][0].get('isa')}")
