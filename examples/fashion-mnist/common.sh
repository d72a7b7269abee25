# Fashion-MNIST pieces shared by examples/fashion-mnist/run.sh and bench/pg/run.sh (source it; it defines
# functions and the class list, and runs nothing).
fm_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fm_classes=(t-shirt trouser pullover dress coat sandal shirt sneaker bag "ankle boot")
# The three corrupt files fm_photos mixes in (relative to the photos folder).
fm_corrupt=(bag/corrupt.png coat/truncated.png dress/header-only.png)

# fm_export DIR: the 10,000 test images as PNG files (ImageFolder, DIR/test/CLASS/*.png) and 200 training
# images per class (DIR/train) for the linear probe.
fm_export() {
  "$fm_repo/scripts/setup.sh" dataset-fashion-mnist
  "$fm_repo/clipsharp" datasets export fashion-mnist --out "$1" --train-per-class 200 --test-per-class 1000
}

# fm_train OUT SECONDS: a small CLIP from scratch (configs/fashion-mnist.json), captions from a random OpenAI
# template per image; the model ends up in OUT/checkpoint/model.safetensors.
fm_train() {
  "$fm_repo/scripts/setup.sh" dataset-fashion-mnist
  "$fm_repo/clipsharp" train --data fashion-mnist --arch "$fm_repo/configs/fashion-mnist.json" --batch 256 --lr 1e-3 \
    --warmup 20 --templates openai --seconds "$2" --val fashion-mnist --val-limit 1000 --val-every 50 --out "$1" \
    | grep -v '^step [0-9]*/'
}

# fm_photos TEST_DIR PHOTOS_DIR: a copy of the test images with the three corrupt files of fm_corrupt mixed in
# (not an image; a PNG cut at 300 bytes; a PNG signature alone).
fm_photos() {
  rm -rf "$2"
  cp -r "$1" "$2"
  printf 'not an image' > "$2/${fm_corrupt[0]}"
  head -c 300 "$2/coat/$(ls "$2/coat" | head -1)" > "$2/${fm_corrupt[1]}"
  printf '\x89PNG\r\n\x1a\n' > "$2/${fm_corrupt[2]}"
}
