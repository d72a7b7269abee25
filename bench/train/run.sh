#!/usr/bin/env bash
# Fashion-MNIST training: the PyTorch peer (bench/peer/train_torch.py) for SECONDS, then ClipSharp for
# the same time on the same architecture, batch and optimiser; prints samples/s and zero-shot top-1 on the
# 10,000 test images (80-template ensemble) for both, and the ratios.
#   bench/train/run.sh [SECONDS=300]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds="${1:-300}"
"$here/scripts/setup.sh" python3-torch python3-numpy libopenblas0-pthread dataset-fashion-mnist
work="$here/out/bench-train"; mkdir -p "$work"
/usr/bin/python3 - "$here/src/ClipSharp/ZeroShot/Resources/imagenet_zeroshot.json" "$work/prompts.json" <<'PY'
import json, sys
templates = json.load(open(sys.argv[1]))["openai_imagenet_templates"]
classes = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]
json.dump([t.format(c) for c in classes for t in templates], open(sys.argv[2], "w"))
PY
"$here/clipsharp" tokenize --texts-file "$work/prompts.json" --padded --truncate --json \
  | /usr/bin/python3 -c "
import sys, json
rows = [json.loads(l) for l in sys.stdin]
per = len(rows) // 10
grid = [rows[c * per:(c + 1) * per] for c in range(10)]
json.dump({'captions': grid, 'zeroshot': grid}, open('$work/tokens.json', 'w'))"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
peer=$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 "$here/bench/peer/train_torch.py" "$work/tokens.json" "$seconds" "$(nproc)" 2>"$work/peer.log")
echo "pytorch: $peer"
"$here/clipsharp" train --data fashion-mnist --arch "$here/configs/fashion-mnist.json" --batch 256 --lr 1e-3 --warmup 20 \
  --templates openai --seconds "$seconds" --val fashion-mnist --val-limit 10000 --val-every 0 --out "$work/clipsharp" \
  > "$work/clipsharp.log"
/usr/bin/python3 - "$peer" "$work/clipsharp/metrics.jsonl" <<'PY'
import json, sys
peer = json.loads(sys.argv[1])
rows = [json.loads(l) for l in open(sys.argv[2])]
steps = [r for r in rows if "loss" in r]
top1 = [r for r in rows if "zeroshot_top1" in r][-1]
seconds = sum(r["seconds"] for r in steps)
rate = len(steps) * 256 / seconds
print(f"clipsharp: {len(steps)} steps in {seconds:.0f} s of steps, {rate:.1f} samples/s, zero-shot top-1 {top1['zeroshot_top1']:.4f} on {top1['validation_images']} test images")
print(f"ratio: {rate / peer['samples_per_s']:.2f}x the peer's samples/s; zero-shot top-1 {top1['zeroshot_top1']:.4f} vs the peer's {peer['zeroshot_top1']:.4f}")
PY
