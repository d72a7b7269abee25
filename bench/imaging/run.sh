#!/usr/bin/env bash
# JPEG decoding and preprocessing: ClipSharp vs Pillow (python3-pil) in one run.
#   bench/imaging/run.sh [FILE...]   (default: a generated 12-megapixel JPEG and a fixture photo)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$here/scripts/setup.sh" python3-pil python3-numpy
work="$here/out/bench-imaging"; mkdir -p "$work"
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  big="$work/photo-12mp.jpg"
  [ -f "$big" ] || /usr/bin/python3 - "$big" <<'PY'
import sys
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
# A smooth synthetic photo (gradients plus texture), 4000 x 3000, 4:2:0, quality 90.
y, x = np.mgrid[0:3000, 0:4000].astype(np.float32)
img = np.stack([128 + 100 * np.sin(x / 300) * np.cos(y / 200), 128 + 80 * np.cos((x + y) / 500), 128 + 60 * np.sin(y / 150)], -1)
img += rng.normal(0, 12, img.shape)
Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(sys.argv[1], quality=90, subsampling=2)
PY
  files=("$big" "${CLIPSHARP_SHARED:-$here/../shared}/fixtures/vit-tiny/images/rocket.jpg")
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for f in "${files[@]}"; do
  peer=$(/usr/bin/python3 "$here/bench/imaging/bench_pillow.py" "$f" 224 2)
  ours=$("$here/clipsharp" bench-image "$f" --size 224 --json)
  echo "pillow:    $peer"
  echo "clipsharp: $ours"
  /usr/bin/python3 - "$peer" "$ours" <<'PY'
import json, sys
p, o = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"  {o['width']}x{o['height']}: full decode speed {p['decode_ms'] / o['decode_ms']:.2f}x Pillow; "
      f"decode+preprocess {p['decode_preprocess_ms'] / o['decode_preprocess_ms']:.2f}x; "
      f"draft decode+preprocess vs Pillow full decode+resize {p['decode_preprocess_ms'] / o['draft_decode_preprocess_ms']:.2f}x")
PY
done
