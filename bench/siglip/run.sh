#!/usr/bin/env bash
# Issue 14's speed bar: a SigLIP-B/16-224-shaped random model, images/s and texts/s, ClipSharp against the PyTorch
# reference forward (tests/reference/siglip_ref.py, Debian's python3-torch) on the same weights, in the same run,
# interleaved for ROUNDS (default 2) rounds; each side keeps its best. The C# side first checks that it computes
# the same embeddings as PyTorch on saved inputs.
#   bench/siglip/run.sh            (THREADS, default all cores; IMAGES 16; TEXTS 64; ROUNDS 2; INNER 3)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$here/out/bench/siglip-b16"
threads="${THREADS:-$(nproc)}"; images="${IMAGES:-16}"; texts="${TEXTS:-64}"; rounds="${ROUNDS:-2}"; inner="${INNER:-3}"
# Debian's torch uses whichever BLAS is installed: the pthreads OpenBLAS, as bench/run.sh (else the reference BLAS,
# one slow thread); its SkylakeX kernels only where AVX-512 is present.
"$here/scripts/setup.sh" python3-torch python3-numpy python3-sentencepiece libopenblas0-pthread >/dev/null
export OPENBLAS_CORETYPE="$(grep -qw avx512f /proc/cpuinfo && echo SkylakeX || echo Haswell)"
mkdir -p "$out"
[ -f "$out/model/model.safetensors" ] || /usr/bin/python3 "$here/bench/siglip/torch_side.py" make "$out"
dotnet build "$here/bench/SiglipBench" -c Release -v q -nologo >/dev/null
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: THREADS=$threads IMAGES=$images TEXTS=$texts ROUNDS=$rounds INNER=$inner bench/siglip/run.sh"
results="$out/results.jsonl"; : > "$results"
for r in $(seq "$rounds"); do
  /usr/bin/python3 "$here/bench/siglip/torch_side.py" time "$out" --threads "$threads" --rounds "$inner" --images "$images" --texts "$texts" | tee -a "$results"
  dotnet "$here/bench/SiglipBench/bin/Release/net10.0/SiglipBench.dll" "$out" "$threads" "$inner" "$images" "$texts" | tee -a "$results"
done
/usr/bin/python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
best = lambda side, k: max(r[k] for r in rows if r["side"] == side)
cs = [r for r in rows if r["side"] == "clipsharp"]
print(f"| | ClipSharp | PyTorch {next(r['torch'] for r in rows if r['side'] == 'pytorch')} | ratio |")
print("|---|---:|---:|---:|")
for k, what in [("images_per_s", f"images/s, batch {rows[0]['image_batch']}"), ("texts_per_s", f"texts/s, batch {rows[0]['text_batch']}")]:
    a, b = best("clipsharp", k), best("pytorch", k)
    print(f"| {what} | {a:.2f} | {b:.2f} | {a / b:.2f}x |")
print(f"agreement with PyTorch on the saved inputs (worst row, relative): image {max(r['image_agreement'] for r in cs):.1e}, text {max(r['text_agreement'] for r in cs):.1e}")
PY
