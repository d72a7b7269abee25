#!/usr/bin/env bash
# Fashion-MNIST training: the PyTorch peer (bench/peer/train_torch.py) for SECONDS, then ClipSharp for
# the same time on the same architecture, batch and optimiser; prints samples/s and zero-shot top-1.
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
