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

echo "== 4. Fashion-MNIST end to end: train a small CLIP from scratch, evaluate it zero-shot and with a linear probe"
seconds="${DEMO_SECONDS:-300}"
fm="$out/fashion-mnist"; rm -rf "$fm"; mkdir -p "$fm"
cs datasets export fashion-mnist --out "$fm/data" --train-per-class 200 --test-first 1000
cs train --data fashion-mnist --arch "$here/configs/fashion-mnist.json" --batch 256 --lr 1e-3 --warmup 20 \
  --templates openai --seconds "$seconds" --val fashion-mnist --val-limit 1000 --val-every 50 --out "$fm/run" \
  | grep -v '^step [0-9]*/'
model="$fm/run/checkpoint/model.safetensors"
cs eval zeroshot --model "$model" --data "$fm/data/test" --out "$fm/eval-zeroshot"
cs eval linear-probe --model "$model" --train "$fm/data/train" --test "$fm/data/test" --out "$fm/eval-linear-probe"
printf 'sneaker\nsandal\nbag\ncoat\ntrouser\n' > "$fm/labels.txt"
cs classify "$fm/data/test/sneaker" --model "$model" --labels-file "$fm/labels.txt" --top 2 | head -6
echo "pictures: $fm/run/loss.svg, $fm/run/accuracy.svg, $fm/eval-zeroshot/confusion.svg"

echo "== 5. search the test images by text (a few corrupt files are mixed in and reported)"
cp -r "$fm/data/test" "$fm/photos"; printf 'not an image' > "$fm/photos/bag/corrupt.png"
cs index "$fm/photos" --model "$model"
cs search "a photo of a sneaker" --dir "$fm/photos" --top 5
