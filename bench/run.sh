#!/usr/bin/env bash
# Runs ClipSharp and the PyTorch peer on the same architecture and weights, in one run, and prints
# the ratios.   bench/run.sh [ARCH=ViT-B-32] [BATCH=32] [TEXT_BATCH=256]
# ITERS (default 5): timed repetitions per measurement on both sides; each reports its best.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${1:-ViT-B-32}"; batch="${2:-32}"; text_batch="${3:-256}"; iters="${ITERS:-5}"
# Debian's torch uses whatever libblas.so.3 is installed: without OpenBLAS it is the slow reference BLAS.
"$here/scripts/setup.sh" python3-torch python3-numpy libopenblas0-pthread
work="${BENCH_WORK:-$here/out/bench}"; mkdir -p "$work"
weights="$work/$arch.safetensors"
[ -f "$weights" ] || "$here/clipsharp" init --arch "$arch" --seed 0 --out "$weights" >&2
/usr/bin/python3 - "$here/src/ClipSharp/ZeroShot/Resources/imagenet_zeroshot.json" "$work/prompts.json" <<'PY'
import json, sys
names = json.load(open(sys.argv[1]))["imagenet_classnames"]
json.dump([f"a photo of a {n}." for n in names], open(sys.argv[2], "w"))
PY
"$here/clipsharp" tokenize --texts-file "$work/prompts.json" --padded --truncate --json | /usr/bin/python3 -c "import sys, json; json.dump([json.loads(l) for l in sys.stdin], open('$work/tokens.json', 'w'))"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
peer=$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 "$here/bench/peer/bench_torch.py" --config "$here/src/ClipSharp/Models/Presets/$arch.json" \
  --weights "$weights" --tokens "$work/tokens.json" --batch "$batch" --text-batch "$text_batch" --threads "$(nproc)" --iters "$iters")
ours=$("$here/clipsharp" bench --model "$weights" --texts-file "$work/prompts.json" --batch "$batch" --text-batch "$text_batch" --iterations "$iters" --peak --json)
shared="${CLIPSHARP_SHARED:-$here/../shared}"
int8=$("$here/clipsharp" bench --model "$weights" --texts-file "$work/prompts.json" --batch "$batch" --text-batch "$text_batch" --iterations "$iters" --precision int8 \
  --agreement-images "$shared/fixtures/vit-tiny/images" --json)
echo "pytorch:        $peer"
echo "clipsharp:      $ours"
echo "clipsharp int8: $int8"
/usr/bin/python3 - "$peer" "$ours" "$int8" <<'PY'
import json, sys
p, o, q = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"images/s: clipsharp {o['images_per_s']:.2f} vs pytorch {p['images_per_s']:.2f} -> {o['images_per_s'] / p['images_per_s']:.2f}x")
print(f"texts/s:  clipsharp {o['texts_per_s']:.1f} vs pytorch {p['texts_per_s']:.1f} -> {o['texts_per_s'] / p['texts_per_s']:.2f}x")
print(f"clipsharp image encoder: {o['image_gflops']:.1f} GFLOP/s = {o['image_fraction_of_peak']:.0%} of the measured FMA peak {o['peak_gflops']:.0f} GFLOP/s")
print(f"peak RSS: clipsharp {o['peak_rss_mb']:.0f} MB vs pytorch {p['peak_rss_mb']:.0f} MB")
print(f"int8 images/s: clipsharp {q['images_per_s']:.2f} vs pytorch fp32 {p['images_per_s']:.2f} -> {q['images_per_s'] / p['images_per_s']:.2f}x; "
      f"texts/s {q['texts_per_s']:.1f} -> {q['texts_per_s'] / p['texts_per_s']:.2f}x; int8 vs fp32 image embeddings: cosine mean "
      f"{q['int8_cosine_mean']:.5f}, min {q['int8_cosine_min']:.5f} over {q['int8_cosine_images']} images (random pixels + fixture images)")
PY
