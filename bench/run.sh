#!/usr/bin/env bash
# Runs ClipSharp (fp32 and int8) and its peers on the same architecture and weights, interleaved, in one
# run, and prints one table with every ratio.   bench/run.sh [ARCH=ViT-B-32] [BATCH=32] [TEXT_BATCH=256]
# PEERS (default "pytorch ort torchsharp torchsharp-bf16"): Debian's PyTorch 1.13 (OpenBLAS), and the .NET
#   baselines in bench/DotnetPeers: ONNX Runtime 1.32 and TorchSharp 0.107 (libtorch 2.10; fp32 and bf16),
#   running an ONNX / TorchScript export of the same weights (bench/peer/export_peers.py).
# ITERS (default 5): timed repetitions per measurement on every side; each reports its best.
# ROUNDS (default 2): interleaved rounds of the whole comparison; each side reports its best round.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
arch="${1:-ViT-B-32}"; batch="${2:-32}"; text_batch="${3:-256}"; iters="${ITERS:-5}"; rounds="${ROUNDS:-2}"
read -r -a peers <<< "${PEERS:-pytorch ort torchsharp torchsharp-bf16}"
# Debian's torch uses whatever libblas.so.3 is installed: without OpenBLAS it is the slow reference BLAS.
"$here/scripts/setup.sh" python3-torch python3-numpy libopenblas0-pthread python3-onnx
work="${BENCH_WORK:-$here/out/bench}"; mkdir -p "$work"
weights="$work/$arch.safetensors"
[ -f "$weights" ] || "$here/clipsharp" init --arch "$arch" --seed 0 --out "$weights" >&2
config="$here/src/ClipSharp/Models/Presets/$arch.json"
/usr/bin/python3 - "$here/src/ClipSharp/ZeroShot/Resources/imagenet_zeroshot.json" "$work/prompts.json" <<'PY'
import json, sys
names = json.load(open(sys.argv[1]))["imagenet_classnames"]
json.dump([f"a photo of a {n}." for n in names], open(sys.argv[2], "w"))
PY
"$here/clipsharp" tokenize --texts-file "$work/prompts.json" --padded --truncate --json | /usr/bin/python3 -c "import sys, json; json.dump([json.loads(l) for l in sys.stdin], open('$work/tokens.json', 'w'))"
export_dir="$work/export-$arch"
if [ ! -f "$export_dir/text.ts" ]; then
  /usr/bin/python3 "$here/bench/peer/export_peers.py" --config "$config" --weights "$weights" --tokens "$work/tokens.json" --out "$export_dir" >&2
fi
dotnet build "$here/bench/DotnetPeers/DotnetPeers.csproj" -c Release -o "$work/dotnet-peers" --nologo -v quiet >&2
# TorchSharp 0.107's native library wants GLIBCXX_3.4.32 (GCC 13) for one symbol; on Debian 12 this gives it
# a patched copy and a preloaded definition of that symbol (bench/peer/glibcxx-shim/prepare.sh explains).
"$here/scripts/setup.sh" g++ >/dev/null
torchsharp_preload="$("$here/bench/peer/glibcxx-shim/prepare.sh" "$work/dotnet-peers")"
# ClipSharp's features on the agreement inputs, for each peer's cosine check.
"$here/clipsharp" embed --model "$weights" --pixels "$export_dir/agreement.safetensors:pixel_values" \
  --tokens "$export_dir/agreement.safetensors:tokens" --out "$work/ours-$arch.safetensors" >&2
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
shared="${CLIPSHARP_SHARED:-$here/../shared}"
results="$work/results-$arch.jsonl"; : > "$results"
run_peer() {  # run_peer NAME ROUND
  case "$1" in
    # OpenBLAS's SkylakeX kernels where the CPU has AVX-512 (it misdetects some VMs); on other CPUs they die of SIGILL.
    pytorch) OPENBLAS_CORETYPE="$(grep -qw avx512f /proc/cpuinfo && echo SkylakeX || echo Haswell)" /usr/bin/python3 "$here/bench/peer/bench_torch.py" --config "$config" --weights "$weights" \
        --tokens "$work/tokens.json" --batch "$batch" --text-batch "$text_batch" --threads "$(nproc)" --iters "$iters" ;;
    *) local features=""; [ "$2" = 1 ] && features="--features-out $work/features-$1-$arch.json"
       local preload=""; case "$1" in torchsharp*) preload="$torchsharp_preload" ;; esac
       LD_PRELOAD="$preload" dotnet "$work/dotnet-peers/DotnetPeers.dll" --engine "$1" --dir "$export_dir" --tokens "$work/tokens.json" \
         --batch "$batch" --text-batch "$text_batch" --threads "$(nproc)" --iters "$iters" $features ;;
  esac
}
for round in $(seq "$rounds"); do
  for p in "${peers[@]}"; do
    # A peer that cannot start here (say TorchSharp's native library on a system the shim above does not
    # cover) is reported and left out of the table rather than stopping the comparison.
    if ! line="$(run_peer "$p" "$round" 2>"$work/$p.err")" || [ -z "$line" ]; then
      echo "round $round $p: did not run: $(grep -m1 -oE "GLIBCXX_[0-9.]+' not found|[A-Za-z.]*Exception: [^.]*" "$work/$p.err" || tail -c 200 "$work/$p.err")"; continue
    fi
    echo "{\"side\": \"$p\", \"round\": $round, \"r\": $line}" >> "$results"; echo "round $round $p: $line"
  done
  line="$("$here/clipsharp" bench --model "$weights" --texts-file "$work/prompts.json" --batch "$batch" --text-batch "$text_batch" --iterations "$iters" --peak --json)"
  echo "{\"side\": \"clipsharp\", \"round\": $round, \"r\": $line}" >> "$results"; echo "round $round clipsharp: $line"
  line="$("$here/clipsharp" bench --model "$weights" --texts-file "$work/prompts.json" --batch "$batch" --text-batch "$text_batch" --iterations "$iters" --precision int8 \
    --agreement-images "$shared/fixtures/vit-tiny/images" --json)"
  echo "{\"side\": \"clipsharp-int8\", \"round\": $round, \"r\": $line}" >> "$results"; echo "round $round clipsharp int8: $line"
done
for p in "${peers[@]}"; do
  [ -f "$work/features-$p-$arch.json" ] || continue
  echo "{\"side\": \"$p\", \"agreement\": $(/usr/bin/python3 "$here/bench/peer/agreement.py" "$work/ours-$arch.safetensors" "$work/features-$p-$arch.json")}" >> "$results"
done
/usr/bin/python3 "$here/bench/peer/table.py" "$results" "$arch" "$batch" "$text_batch"
