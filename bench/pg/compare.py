#!/usr/bin/python3
"""Queries for bench/pg/run.sh and the comparison of their results across stores.

  compare.py queries                      -> the 100 queries, one "CLASS<TAB>TEXT" line each
  compare.py report DIR REF OTHER... [--tol 1e-3] [--min-precision 0.8]
      DIR/STORE/NNN.jsonl holds `clipsharp search QUERY_NNN --top K --json` (K >= 10) for each store.
      Prints, per class, precision@10 of every store and how OTHER's top-10 compares with REF's; exits 1
      when a top-10 differs beyond ties or when no store reaches the precision bar.

Top-10 equal "allowing ties": the same set of paths, or every path in one store's top-10 and not in the
other's scores, in the other store, within TOL of that store's 10th score (a tie at the cut; SQLite keeps
float16 embeddings, so one image's cosine differs between the stores by up to ~5e-4). A path missing
from the other store's whole top-K list has no score there and counts as a real difference.
"""
import json
import os
import sys

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
# Ten of the OpenAI ImageNet templates (src/ClipSharp/ZeroShot/Resources/imagenet_zeroshot.json), which the
# training captions are drawn from; the first is the one examples/fashion-mnist/run.sh reports.
TEMPLATES = [
    "a photo of a {}.", "a bad photo of a {}.", "a photo of the {}.", "a close-up photo of a {}.",
    "a black and white photo of the {}.", "a low resolution photo of a {}.", "a bright photo of a {}.",
    "a cropped photo of a {}.", "a good photo of the {}.", "a blurry photo of the {}.",
]


def queries():
    return [(c, t.format(c)) for c in CLASSES for t in TEMPLATES]


def load(path):
    with open(path) as f:
        hits = [json.loads(line) for line in f if line.strip()]
    if len(hits) < 10:
        sys.exit(f"compare.py: {path}: {len(hits)} results, expected at least 10")
    return [(h["path"], float(h["score"])) for h in hits]


def precision(top10, cls):
    return sum(1 for p, _ in top10 if p.startswith(cls + "/")) / 10


def compare(ref, other, tol):
    """('same' | 'ties' | 'differs', detail, max |score difference| over paths in both lists)."""
    a, b = ref[:10], other[:10]
    sa, sb = {p for p, _ in a}, {p for p, _ in b}
    score_ref, score_other = dict(ref), dict(other)
    common = set(score_ref) & set(score_other)
    drift = max((abs(score_ref[p] - score_other[p]) for p in common), default=0.0)
    if sa == sb:
        return "same", "", drift
    bad = []
    for p in sorted(sa - sb):
        s = score_other.get(p)
        if s is None or s < b[9][1] - tol:
            bad.append(f"{p} (ref {score_ref[p]:.4f}; other {'absent from its top list' if s is None else f'{s:.4f}'}, its 10th {b[9][1]:.4f})")
    for p in sorted(sb - sa):
        s = score_ref.get(p)
        if s is None or s < a[9][1] - tol:
            bad.append(f"{p} (other {score_other[p]:.4f}; ref {'absent from its top list' if s is None else f'{s:.4f}'}, its 10th {a[9][1]:.4f})")
    swaps = "; ".join(f"{p} {score_ref.get(p, float('nan')):.5f}/{score_other.get(p, float('nan')):.5f}" for p in sorted(sa ^ sb))
    detail = f"swapped at the cut (path ref/other cosine): {swaps}; 10th ref {a[9][1]:.5f}, other {b[9][1]:.5f}"
    return ("differs", "; ".join(bad[:3]) + (f"; and {len(bad) - 3} more" if len(bad) > 3 else ""), drift) if bad else ("ties", detail, drift)


def tally(verdicts):
    return "/".join(str(verdicts.count(v)) for v in ("same", "ties", "differs"))


def report(argv):
    tol, min_p = 1e-3, 0.8
    args = []
    it = iter(argv)
    for x in it:
        if x == "--tol": tol = float(next(it))
        elif x == "--min-precision": min_p = float(next(it))
        else: args.append(x)
    if len(args) < 3:
        sys.exit("usage: compare.py report DIR REF OTHER... [--tol T] [--min-precision P]")
    root, ref, others = args[0], args[1], args[2:]
    stores = [ref] + others
    qs = queries()
    res = {s: [load(os.path.join(root, s, f"{i:03d}.jsonl")) for i in range(len(qs))] for s in stores}
    prec = {s: {} for s in stores}
    verdicts = {o: {} for o in others}
    failures, ties = [], []
    drift = {o: 0.0 for o in others}
    for i, (cls, text) in enumerate(qs):
        for s in stores:
            prec[s].setdefault(cls, []).append(precision(res[s][i][:10], cls))
        for o in others:
            v, detail, d = compare(res[ref][i], res[o][i], tol)
            drift[o] = max(drift[o], d)
            verdicts[o].setdefault(cls, []).append(v)
            if v == "differs":
                failures.append(f"{o} vs {ref}, query {i:03d} '{text}': {detail}")
            elif v == "ties":
                ties.append(f"{o} vs {ref}, query {i:03d} '{text}': {detail}")
    head = f"{'class':<11}" + "".join(f" {'P@10 ' + s:>12}" for s in stores) + "".join(f"  {'top-10 ' + o + ' = ' + ref + ' (same/ties/differs)':>34}" for o in others)
    print(head)
    for cls in CLASSES:
        line = f"{cls:<11}" + "".join(f" {sum(prec[s][cls]) / len(prec[s][cls]):>12.2f}" for s in stores)
        for o in others:
            v = verdicts[o][cls]
            line += f"  {tally(v):>34}"
        print(line)
    mean = {s: sum(sum(v) for v in prec[s].values()) / len(qs) for s in stores}
    line = f"{'all 100':<11}" + "".join(f" {mean[s]:>12.3f}" for s in stores)
    for o in others:
        v = [x for vs in verdicts[o].values() for x in vs]
        line += f"  {tally(v):>34}"
    print(line)
    for o in others:
        print(f"largest |cosine({ref}) - cosine({o})| of one image in both result lists: {drift[o]:.2e} (tie tolerance {tol:g})")
    for t in ties:
        print("TIE: " + t)
    for f in failures:
        print("DIFFERS: " + f)
    ok = True
    if failures:
        print(f"FAIL: {len(failures)} of {len(qs) * len(others)} top-10 lists differ beyond ties")
        ok = False
    if all(mean[s] < min_p for s in stores):
        print(f"FAIL: precision@10 below {min_p} on every store ({', '.join(f'{s} {mean[s]:.3f}' for s in stores)}): "
              "a property of the trained model, not of the store")
        ok = False
    elif any(mean[s] < min_p for s in stores):
        print(f"FAIL: precision@10 below {min_p} on {', '.join(s for s in stores if mean[s] < min_p)}")
        ok = False
    print("PASS" if ok else "one or more bars failed")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "queries":
        for c, t in queries():
            print(f"{c}\t{t}")
    elif len(sys.argv) >= 2 and sys.argv[1] == "report":
        sys.exit(report(sys.argv[2:]))
    else:
        sys.exit(__doc__)
