#!/usr/bin/env python3
"""How well-conditioned each unseen training reference is: PyTorch runs the same three AdamW steps in
float32 and float64 and prints the worst relative difference of the parameters (key biases left out).
A reference on which PyTorch disagrees with itself by X cannot be matched closer than about X.

  /usr/bin/python3 conditioning.py
"""
import os, sys, json, math
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "tools"))
import torch, torch.nn.functional as F
from torch_clip import Clip, load_safetensors
def run(name, dtype, threads):
    torch.set_num_threads(threads)
    d = os.path.join(here, "unseen", name)
    cfg = json.load(open(d + "/config.json"))
    model = Clip(cfg); model.load_state_dict(load_safetensors(d + "/model.safetensors"), strict=False)
    model = model.to(dtype).train()
    ref = load_safetensors(d + "/training.safetensors")
    pixels, tokens = ref["pixel_values"].to(dtype), ref["tokens"].long()
    params = dict(model.named_parameters())
    decay = [p for k, p in params.items() if p.ndim >= 2 and not any(s in k for s in ("bn", "ln", "bias", "logit_scale"))]
    rest = [p for k, p in params.items() if not (p.ndim >= 2 and not any(s in k for s in ("bn", "ln", "bias", "logit_scale")))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.2}, {"params": rest, "weight_decay": 0.0}], lr=1e-3, betas=(0.9, 0.98), eps=1e-6)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        img = F.normalize(model.visual(pixels), dim=-1); txt = F.normalize(model.encode_text(tokens), dim=-1)
        logits = model.logit_scale.exp() * img @ txt.T; lab = torch.arange(len(pixels))
        loss = (F.cross_entropy(logits, lab) + F.cross_entropy(logits.T, lab)) / 2
        losses.append(loss.item()); loss.backward(); opt.step()
        with torch.no_grad(): model.logit_scale.clamp_(0, math.log(100))
    return losses, {k: p.detach().double() for k, p in params.items()}
for name in ["rn-1211", "rn-2121", "vit-b3-p14"]:
    l32, p32 = run(name, torch.float32, 1)
    l64, p64 = run(name, torch.float64, 1)
    worst = max(((p32[k] - p64[k]).norm() / p64[k].norm()).item() for k in p64 if p64[k].norm() > 0 and "in_proj_bias" not in k and "k_proj.bias" not in k)
    wk = max((k for k in p64 if p64[k].norm() > 0 and "in_proj_bias" not in k and "k_proj.bias" not in k), key=lambda k: ((p32[k] - p64[k]).norm() / p64[k].norm()).item())
    print(name, "losses f32", l32, "f64", l64, "worst after rel f32 vs f64", worst, wk)
