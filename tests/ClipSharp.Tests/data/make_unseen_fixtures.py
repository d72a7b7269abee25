#!/usr/bin/env python3
"""Generates parity fixtures for architectures the shared fixtures do not cover.

Our own PyTorch implementation of CLIP's two towers (written from the CLIP paper's description and
the public model layout: OpenAI/OpenCLIP tensor names), run in float32 on random weights rounded to
fp16 as published checkpoints are. Outputs per model: model.safetensors (OpenAI names, F16),
config.json (OpenCLIP schema), expected.safetensors (pixel_values, tokens, image_features,
text_features, logits_per_image).

Run with Debian's PyTorch:  /usr/bin/python3 make_unseen_fixtures.py OUTDIR
"""
import json, math, struct, sys
from collections import OrderedDict
import torch
import torch.nn as nn
import torch.nn.functional as F


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, act):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict(c_fc=nn.Linear(width, width * 4), gelu=act(), c_proj=nn.Linear(width * 4, width)))
        self.ln_2 = nn.LayerNorm(width)

    def forward(self, x, mask):  # x: (T, B, C)
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask)[0]
        return x + self.mlp(self.ln_2(x))


class Stack(nn.Module):
    def __init__(self, width, layers, heads, act):
        super().__init__()
        self.resblocks = nn.ModuleList([Block(width, heads, act) for _ in range(layers)])

    def forward(self, x, mask=None):
        for b in self.resblocks:
            x = b(x, mask)
        return x


class ViT(nn.Module):
    def __init__(self, res, patch, width, layers, heads, out, act):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        s = width ** -0.5
        self.class_embedding = nn.Parameter(s * torch.randn(width))
        self.positional_embedding = nn.Parameter(s * torch.randn((res // patch) ** 2 + 1, width))
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Stack(width, layers, heads, act)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(s * torch.randn(width, out))

    def forward(self, x):
        x = self.conv1(x).flatten(2).permute(0, 2, 1)                      # (B, G², C)
        cls = self.class_embedding.expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding
        x = self.ln_pre(x).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class Bottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False); self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(planes)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False); self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride > 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(OrderedDict([("-1", nn.AvgPool2d(stride)), ("0", nn.Conv2d(inplanes, planes * 4, 1, bias=False)), ("1", nn.BatchNorm2d(planes * 4))]))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(self.avgpool(y)))
        return F.relu(y + (self.downsample(x) if self.downsample is not None else x))


class AttnPool(nn.Module):
    def __init__(self, grid, width, heads, out):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(grid * grid + 1, width) / width ** 0.5)
        self.k_proj = nn.Linear(width, width); self.q_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width); self.c_proj = nn.Linear(width, out)
        self.heads = heads

    def forward(self, x):
        b, c, h, w = x.shape
        x = x.reshape(b, c, h * w).permute(0, 2, 1)                          # (B, HW, C)
        x = torch.cat([x.mean(dim=1, keepdim=True), x], dim=1) + self.positional_embedding
        d = c // self.heads
        q = self.q_proj(x[:, :1]).reshape(b, 1, self.heads, d).transpose(1, 2)
        k = self.k_proj(x).reshape(b, -1, self.heads, d).transpose(1, 2)
        v = self.v_proj(x).reshape(b, -1, self.heads, d).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1) @ v  # (B, H, 1, D)
        return self.c_proj(att.transpose(1, 2).reshape(b, c))


class ResNet(nn.Module):
    def __init__(self, layers, out, heads, res, width):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width // 2, 3, 2, 1, bias=False); self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = nn.Conv2d(width // 2, width // 2, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(width // 2)
        self.conv3 = nn.Conv2d(width // 2, width, 3, padding=1, bias=False); self.bn3 = nn.BatchNorm2d(width)
        inplanes = width
        for i, n in enumerate(layers):
            planes = width * 2 ** i
            blocks = []
            for j in range(n):
                blocks.append(Bottleneck(inplanes, planes, (1 if i == 0 else 2) if j == 0 else 1))
                inplanes = planes * 4
            setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
        self.attnpool = AttnPool(res // 32, width * 32, heads, out)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x))); x = F.relu(self.bn2(self.conv2(x))); x = F.relu(self.bn3(self.conv3(x)))
        x = F.avg_pool2d(x, 2)
        for i in range(4):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.attnpool(x)


class Clip(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        act = QuickGELU if cfg["quick_gelu"] else nn.GELU
        v, t, e = cfg["vision_cfg"], cfg["text_cfg"], cfg["embed_dim"]
        if isinstance(v["layers"], list):
            self.visual = ResNet(v["layers"], e, v["width"] * 32 // 64, v["image_size"], v["width"])
        else:
            self.visual = ViT(v["image_size"], v["patch_size"], v["width"], v["layers"], v["width"] // 64, e, act)
        self.transformer = Stack(t["width"], t["layers"], t["heads"], act)
        self.token_embedding = nn.Embedding(t["vocab_size"], t["width"])
        self.positional_embedding = nn.Parameter(0.01 * torch.randn(t["context_length"], t["width"]))
        self.ln_final = nn.LayerNorm(t["width"])
        self.text_projection = nn.Parameter(t["width"] ** -0.5 * torch.randn(t["width"], e))
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        n = t["context_length"]
        self.register_buffer("mask", torch.full((n, n), float("-inf")).triu(1), persistent=False)

    def encode_text(self, tokens):
        x = self.token_embedding(tokens) + self.positional_embedding
        n = tokens.shape[1]
        x = self.transformer(x.permute(1, 0, 2), self.mask[:n, :n]).permute(1, 0, 2)
        x = self.ln_final(x)
        return x[torch.arange(x.shape[0]), tokens.argmax(dim=-1)] @ self.text_projection


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


def save_safetensors(path, tensors, dtype_override=None):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.contiguous()
        if t.dtype == torch.float16:
            dt = "F16"
        elif t.dtype == torch.float32:
            dt = "F32"
        elif t.dtype == torch.int32:
            dt = "I32"
        elif t.dtype == torch.int64:
            dt = "I64"
        else:
            raise ValueError(t.dtype)
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


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
}


def main(out):
    import os
    for seed, (name, cfg) in enumerate(CONFIGS.items()):
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
        with torch.no_grad():
            img = model.visual(pixels)
            txt = model.encode_text(tokens)
            logits = model.logit_scale.exp() * F.normalize(img, dim=-1) @ F.normalize(txt, dim=-1).T
        save_safetensors(os.path.join(d, "expected.safetensors"), OrderedDict(
            pixel_values=pixels, tokens=tokens.int(), image_features=img, text_features=txt, logits_per_image=logits))
        print(name, "ok")


if __name__ == "__main__":
    main(sys.argv[1])
