#!/usr/bin/env bash
# Runs ClipSharp and the PyTorch peer on the same architecture and weights, in one run, and prints
# the ratios.   bench/run.sh [ARCH=ViT-B-32] [BATCH=32] [TEXT_BATCH=256]
# ITERS (default 5): timed repetitions per measurement on both sides; each reports its best.
# ROUNDS (default 2): interleaved rounds of the whole comparison; each side reports its best round.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${1:-ViT-B-32}"; batch="${2:-32}"; text_batch="${3:-256}"; iters="${ITERS:-5}"; rounds="${ROUNDS:-2}"
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
shared="${CLIPSHARP_SHARED:-$here/../shared}"
peers=(); ours=(); int8s=()
# ROUNDS interleaved rounds (peer, ClipSharp fp32, ClipSharp int8, then again): on a shared machine each side's
# rate moves by several percent between runs, so both sides get the same number of tries and report their best.
for round in $(seq "$rounds"); do
  peers+=("$(OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 "$here/bench/peer/bench_torch.py" --config "$here/src/ClipSharp/Models/Presets/$arch.json" \
    --weights "$weights" --tokens "$work/tokens.json" --batch "$batch" --text-batch "$text_batch" --threads "$(nproc)" --iters "$iters")")
  ours+=("$("$here/clipsharp" bench --model "$weights" --texts-file "$work/prompts.json" --batch "$batch" --text-batch "$text_batch" --iterations "$iters" --peak --json)")
  int8s+=("$("$here/clipsharp" bench --model "$weights" --texts-file "$work/prompts.json" --batch "$batch" --text-batch "$text_batch" --iterations "$iters" --precision int8 \
    --agreement-images "$shared/fixtures/vit-tiny/images" --json)")
  echo "round $round pytorch:        ${peers[-1]}"
  echo "round $round clipsharp:      ${ours[-1]}"
  echo "round $round clipsharp int8: ${int8s[-1]}"
done
/usr/bin/python3 - "$rounds" "${peers[@]}" "${ours[@]}" "${int8s[@]}" <<'PY'
import json, sys
n = int(sys.argv[1])
runs = [json.loads(a) for a in sys.argv[2:]]
peers, ours, int8s = runs[:n], runs[n:2 * n], runs[2 * n:]
best = lambda rs, key: max(r[key] for r in rs)
p_img, p_txt = best(peers, "images_per_s"), best(peers, "texts_per_s")
o_img, o_txt, q_img, q_txt = best(ours, "images_per_s"), best(ours, "texts_per_s"), best(int8s, "images_per_s"), best(int8s, "texts_per_s")
# Conservative share of peak: the best encoder rate over the highest peak any round measured.
gflops = max(r["image_gflops"] for r in ours)
peak = max(r["peak_gflops"] for r in ours)
per_round = ", ".join(f"{r['image_fraction_of_peak']:.0%}" for r in ours)
print(f"best of {n} interleaved round(s) per side:")
print(f"images/s: clipsharp {o_img:.2f} vs pytorch {p_img:.2f} -> {o_img / p_img:.2f}x")
print(f"texts/s:  clipsharp {o_txt:.1f} vs pytorch {p_txt:.1f} -> {o_txt / p_txt:.2f}x")
print(f"clipsharp image encoder: {gflops:.1f} GFLOP/s = {gflops / peak:.0%} of the highest FMA peak measured, {peak:.0f} GFLOP/s "
      f"(each round against its own peak: {per_round})")
print(f"peak RSS (largest of the rounds): clipsharp {best(ours, 'peak_rss_mb'):.0f} MB vs pytorch {best(peers, 'peak_rss_mb'):.0f} MB")
q = int8s[0]
print(f"int8 images/s: clipsharp {q_img:.2f} vs pytorch fp32 {p_img:.2f} -> {q_img / p_img:.2f}x; "
      f"texts/s {q_txt:.1f} -> {q_txt / p_txt:.2f}x; int8 vs fp32 image embeddings: cosine mean "
      f"{q['int8_cosine_mean']:.5f}, min {min(r['int8_cosine_min'] for r in int8s):.5f} over {q['int8_cosine_images']} images (random pixels + fixture images)")
PY
