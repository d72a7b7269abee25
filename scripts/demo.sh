#!/usr/bin/env bash
# The main job: an offline end-to-end run on the reference fixtures (no network needed).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${CLIPSHARP_SHARED:-$here/../shared}"
"$here/scripts/setup.sh" dataset-fashion-mnist
out="$here/out/demo"; mkdir -p "$out"
fx="$shared/fixtures/vit-tiny"
cs() { "$here/clipsharp" "$@"; }

echo "== 1. the checkpoint"
cs info --model "$fx/openai/model_jit.pt"

echo "== 2. embed the fixture images and texts from files (decoders, preprocessing, tokenizer, both towers)"
cs embed --model "$fx/openai/model_jit.pt" --images "$fx/images" --texts-file "$fx/texts.json" --truncate \
  --out "$out/features.safetensors"

echo "== 3. zero-shot classification with the 80 OpenAI prompt templates"
labels="$out/labels.txt"; printf 'cat\nastronaut\ncoffee\nrocket\ncamera\nlogo\n' > "$labels"
cs classify "$fx/images" --model "$fx/openai/model.safetensors" --labels-file "$labels" --templates openai --top 3 | head -12
echo "(the fixture model has random weights: the point is parity with the reference, not accuracy)"

echo "== 4. Fashion-MNIST end to end (examples/fashion-mnist): train a small CLIP from scratch for ${DEMO_SECONDS:-300} s,"
echo "   evaluate it zero-shot on the 10,000 test images and with a linear probe, classify, index and search"
"$here/examples/fashion-mnist/run.sh" "$out/fashion-mnist" "${DEMO_SECONDS:-300}"
