#!/usr/bin/env python3
"""Exports the two towers of a ClipSharp checkpoint for the .NET peers (bench/DotnetPeers):
ONNX (opset 17, dynamic batch) for ONNX Runtime and TorchScript (torch.jit.trace) for TorchSharp,
from our PyTorch model code (tools/torch_clip.py) loaded with exactly the same weights ClipSharp times.
Also writes the fixed inputs of the agreement check (random pixels, real prompt tokens).

  /usr/bin/python3 bench/peer/export_peers.py --config CFG.json --weights W.safetensors \
      --tokens tokens.json --out DIR

DIR gets image.onnx, text.onnx, image.ts, text.ts and agreement.safetensors (pixel_values, tokens).
"""
import argparse, json, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import torch
from torch_clip import Clip, load_safetensors, save_safetensors


class TextTower(torch.nn.Module):
    def __init__(self, clip):
        super().__init__()
        self.clip = clip

    def forward(self, tokens):
        return self.clip.encode_text(tokens)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--tokens", required=True, help="JSON array of padded token rows")
    ap.add_argument("--out", required=True)
    ap.add_argument("--agreement-images", type=int, default=8)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with open(a.config) as f:
        cfg = json.load(f)
    model = Clip(cfg).eval()
    sd = {k: v for k, v in load_safetensors(a.weights).items() if not k.endswith("num_batches_tracked")}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith("num_batches_tracked")]
    if missing or unexpected:
        sys.exit(f"weights do not match: missing {missing[:5]}, unexpected {unexpected[:5]}")
    r = cfg["vision_cfg"]["image_size"]
    with open(a.tokens) as f:
        rows = json.load(f)
    pixels = torch.randn(a.agreement_images, 3, r, r, generator=torch.Generator().manual_seed(1))
    tokens = torch.tensor(rows[:16], dtype=torch.int64)
    text = TextTower(model).eval()
    with torch.no_grad():
        torch.onnx.export(model.visual, (pixels[:2],), os.path.join(a.out, "image.onnx"), opset_version=17,
                          input_names=["pixel_values"], output_names=["image_features"],
                          dynamic_axes={"pixel_values": {0: "batch"}, "image_features": {0: "batch"}})
        torch.jit.trace(model.visual, (pixels[:2],)).save(os.path.join(a.out, "image.ts"))
        del model.visual  # the text files carry the text tower's weights only
        torch.onnx.export(text, (tokens[:2],), os.path.join(a.out, "text.onnx"), opset_version=17,
                          input_names=["tokens"], output_names=["text_features"],
                          dynamic_axes={"tokens": {0: "batch"}, "text_features": {0: "batch"}})
        torch.jit.trace(text, (tokens[:2],)).save(os.path.join(a.out, "text.ts"))
    save_safetensors(os.path.join(a.out, "agreement.safetensors"),
                     {"pixel_values": pixels, "tokens": tokens.to(torch.int32)})
    print(json.dumps({"exported": a.out, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
