#!/usr/bin/env python3
"""Generates parity fixtures for architectures the shared fixtures do not cover.

Our own PyTorch implementation of CLIP's two towers (written from the CLIP paper's description and
the public model layout: OpenAI/OpenCLIP tensor names), run in float32 on random weights rounded to
fp16 as published checkpoints are. Outputs per model: model.safetensors (OpenAI names, F16),
config.json (OpenCLIP schema), expected.safetensors (pixel_values, tokens, image_features,
text_features, logits_per_image).

Run with Debian's PyTorch:  /usr/bin/python3 make_unseen_fixtures.py OUTDIR [NAME...]  (names: only those models)
"""
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools"))
import json, math
from collections import OrderedDict
import torch
import torch.nn.functional as F
from torch_clip import Clip, save_safetensors


def randomise(model, gen):
    """Every parameter and BatchNorm statistic random, so a loader that drops one cannot pass."""
    with torch.no_grad():
        for name, p in model.state_dict().items():
            if p.dtype != torch.float32:
                continue
            if name.endswith("running_var"):
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            elif name.endswith(("bias", "running_mean")) or ".ln" in name or name.startswith("ln_") or ".bn" in name or name.startswith("visual.bn"):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.2 + (1.0 if name.endswith("weight") else 0.0))
            elif name == "logit_scale":
                p.fill_(math.log(1 / 0.07))
            else:
                p.copy_(p + 0.02 * torch.randn(p.shape, generator=gen))
            p.copy_(p.half().float())  # published checkpoints are fp16


CONFIGS = {
    "vit-b3-p14": {"embed_dim": 48, "quick_gelu": True,
                   "vision_cfg": {"image_size": 56, "layers": 3, "width": 192, "patch_size": 14},
                   "text_cfg": {"context_length": 32, "vocab_size": 300, "width": 128, "heads": 2, "layers": 3}},
    "vit-gelu-p4": {"embed_dim": 32, "quick_gelu": False,
                    "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 4},
                    "text_cfg": {"context_length": 20, "vocab_size": 200, "width": 192, "heads": 3, "layers": 2}},
    "rn-2121": {"embed_dim": 40, "quick_gelu": True,
                "vision_cfg": {"image_size": 96, "layers": [2, 1, 2, 1], "width": 8},
                "text_cfg": {"context_length": 16, "vocab_size": 100, "width": 64, "heads": 1, "layers": 2}},
    "rn-1211": {"embed_dim": 24, "quick_gelu": True,
                "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 16},
                "text_cfg": {"context_length": 24, "vocab_size": 120, "width": 128, "heads": 2, "layers": 1}},
    # Training-parity shapes for BatchNorm and the strided stem (issue 17 item 4): wider stages, odd widths.
    "rn-2121-w32": {"embed_dim": 80, "quick_gelu": True,
                    "vision_cfg": {"image_size": 96, "layers": [2, 1, 2, 1], "width": 32},
                    "text_cfg": {"context_length": 12, "vocab_size": 90, "width": 64, "heads": 1, "layers": 1}},
    "rn-1211-w24": {"embed_dim": 56, "quick_gelu": True,
                    "vision_cfg": {"image_size": 64, "layers": [1, 2, 1, 1], "width": 24},
                    "text_cfg": {"context_length": 10, "vocab_size": 80, "width": 64, "heads": 1, "layers": 1}},
    "rn-1112-w20": {"embed_dim": 36, "quick_gelu": True,
                    "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 2], "width": 20},
                    "text_cfg": {"context_length": 8, "vocab_size": 70, "width": 64, "heads": 1, "layers": 1}},
}


def capture_stages(model, tokens):
    """Forward hooks recording each stage as (B, T, C) under the names ClipSharp's debug taps use."""
    stages, hooks = OrderedDict(), []

    def keep(name, transform):
        def hook(module, inputs, output):
            stages[name] = transform(inputs, output).detach().clone()
        return hook

    v = model.visual
    if hasattr(v, "transformer"):
        hooks.append(v.ln_pre.register_forward_hook(keep("visual.embeddings_0", lambda i, o: i[0])))
        hooks.append(v.ln_pre.register_forward_hook(keep("visual.ln_pre_0", lambda i, o: o)))
        for n, block in enumerate(v.transformer.resblocks):
            hooks.append(block.register_forward_hook(keep(f"visual.transformer.resblock_{n}", lambda i, o: o.permute(1, 0, 2))))
        hooks.append(v.ln_post.register_forward_hook(keep("visual.ln_post_0", lambda i, o: o)))
    else:
        hooks.append(v.layer1.register_forward_pre_hook(lambda m, i: stages.__setitem__("visual.stem_0", i[0].detach().clone())))
        for n in range(4):
            hooks.append(getattr(v, f"layer{n + 1}").register_forward_hook(keep(f"visual.layer_{n + 1}", lambda i, o: o)))
    hooks.append(model.transformer.register_forward_pre_hook(lambda m, i: stages.__setitem__("text.embeddings_0", i[0].permute(1, 0, 2).detach().clone())))
    for n, block in enumerate(model.transformer.resblocks):
        hooks.append(block.register_forward_hook(keep(f"transformer.resblock_{n}", lambda i, o: o.permute(1, 0, 2))))
    pooled = tokens.argmax(dim=-1)
    hooks.append(model.ln_final.register_forward_hook(keep("text.ln_final_0", lambda i, o: o[torch.arange(o.shape[0]), pooled])))
    return stages, hooks


def main(out, only=None):
    for seed, (name, cfg) in enumerate(CONFIGS.items()):
        if only and name not in only:
            continue
        torch.manual_seed(100 + seed)
        gen = torch.Generator().manual_seed(200 + seed)
        model = Clip(cfg).eval()
        randomise(model, gen)
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        sd = OrderedDict((k, v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items())
        save_safetensors(os.path.join(d, "model.safetensors"), sd)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        r, t = cfg["vision_cfg"]["image_size"], cfg["text_cfg"]
        pixels = torch.randn(3, 3, r, r, generator=gen)
        n, vocab = t["context_length"], t["vocab_size"]
        tokens = torch.zeros(4, n, dtype=torch.int64)
        for i, length in enumerate([1, 5, n - 2, n]):
            tokens[i, :length] = torch.randint(1, vocab - 1, (length,), generator=gen)
            tokens[i, length - 1] = vocab - 1  # the end-of-text id is the largest
        stages, hooks = capture_stages(model, tokens)
        with torch.no_grad():
            img = model.visual(pixels)
            txt = model.encode_text(tokens)
            logits = model.logit_scale.exp() * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
        save_safetensors(os.path.join(d, "expected.safetensors"), OrderedDict(
            pixel_values=pixels, tokens=tokens.int(), image_features=img, text_features=txt, logits_per_image=logits))
        for h in hooks:
            h.remove()
        save_safetensors(os.path.join(d, "stages.safetensors"), OrderedDict((k, v.contiguous()) for k, v in stages.items()))
        print(name, "ok")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
