"""Our own PyTorch implementation of CLIP (both towers, OpenAI/OpenCLIP tensor names), written from
the CLIP paper's description and the public checkpoint layout. Used to generate parity fixtures for
architectures the shared fixtures lack, and as the PyTorch peer in bench/peer.
"""
import json, math, struct
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


def load_safetensors(path):
    """Reads a safetensors file into an OrderedDict of float32/int tensors."""
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F32": np.float32, "F16": np.float16, "I32": np.int32, "I64": np.int64}
    out = OrderedDict()
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=kinds[meta["dtype"]]).reshape(meta["shape"])
        t = torch.from_numpy(arr.copy())
        out[name] = t.float() if t.is_floating_point() else t
    return out
