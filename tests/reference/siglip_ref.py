#!/usr/bin/env python3
"""SigLIP / SigLIP 2 reference forward and parity fixtures for ClipSharp.

Our own PyTorch forward written to follow, line by line, Hugging Face transformers'
  src/transformers/models/siglip/modeling_siglip.py    (commit 1c51a62f5861390e994db1464e8a51f6d7fbacbc)
  src/transformers/models/siglip2/modeling_siglip2.py  (commit 0184d2087e15afbd83ffa3cef25044a4f6c05047)
  src/transformers/models/siglip2/image_processing_siglip2.py (get_image_size_for_max_num_patches,
  convert_image_to_patches, pad_along_first_dim; the slow, Pillow-based processor)
No transformers import: transformers is not installed here. Module and parameter names are HF's, so
state_dict() is the SiglipModel / Siglip2Model key layout.

Random weights (seeded, float32) in tiny configs; real photos from skimage.data, shrunk and saved as PNG
so the C# side decodes the very same pixels. Deterministic: same output bytes on every run.

Run with Debian's PyTorch:  /usr/bin/python3 tests/reference/siglip_ref.py [OUTDIR]
(default OUTDIR: tests/ClipSharp.Tests/data/siglip). Also importable: bench/siglip uses SiglipModel.
`--training-only [OUTDIR]` rewrites only siglip-fixres/training.safetensors (loss and every parameter's
gradient under the sigmoid loss, see make_training) from the committed model and pixels, so it needs
neither skimage nor a regenerated model.
"""
import copy, json, math, os, struct, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# --------------------------------------------------------------------------------------------- model


class SiglipMLP(nn.Module):
    def __init__(self, hidden, intermediate):
        super().__init__()
        self.fc1 = nn.Linear(hidden, intermediate)
        self.fc2 = nn.Linear(intermediate, hidden)

    def forward(self, x):
        # hidden_act "gelu_pytorch_tanh" = nn.functional.gelu(x, approximate="tanh")
        return self.fc2(F.gelu(self.fc1(x), approximate="tanh"))


class SiglipAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.num_heads, self.head_dim = heads, hidden // heads
        self.scale = self.head_dim ** -0.5
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.q_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def forward(self, x, attention_mask=None):  # x: (B, T, C); mask: additive (B, 1, T, S) or None
        b, t, c = x.shape
        q = self.q_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.num_heads, self.head_dim).transpose(1, 2)
        w = torch.matmul(q, k.transpose(-1, -2)) * self.scale  # eager_attention_forward
        if attention_mask is not None:
            w = w + attention_mask
        w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        o = torch.matmul(w, v).transpose(1, 2).contiguous()
        return self.out_proj(o.reshape(b, t, c))


class SiglipEncoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.layer_norm1 = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.self_attn = SiglipAttention(h, cfg["num_attention_heads"])
        self.layer_norm2 = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.mlp = SiglipMLP(h, cfg["intermediate_size"])

    def forward(self, x, attention_mask=None):
        x = x + self.self_attn(self.layer_norm1(x), attention_mask)
        return x + self.mlp(self.layer_norm2(x))


class SiglipEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.ModuleList([SiglipEncoderLayer(cfg) for _ in range(cfg["num_hidden_layers"])])

    def forward(self, x, attention_mask=None):
        for layer in self.layers:
            x = layer(x, attention_mask)
        return x


def prepare_4d_attention_mask(mask, dtype, tgt_len=None):
    """modeling_attn_mask_utils._prepare_4d_attention_mask: (B, S) 1/0 → additive (B, 1, T, S)."""
    b, s = mask.shape
    tgt_len = tgt_len if tgt_len is not None else s
    expanded = mask[:, None, None, :].expand(b, 1, tgt_len, s).to(dtype)
    inverted = 1.0 - expanded
    return inverted.masked_fill(inverted.to(torch.bool), torch.finfo(dtype).min)


class SiglipMultiheadAttentionPoolingHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.probe = nn.Parameter(torch.randn(1, 1, h))
        self.attention = nn.MultiheadAttention(h, cfg["num_attention_heads"], batch_first=True)
        self.layernorm = nn.LayerNorm(h, eps=cfg["layer_norm_eps"])
        self.mlp = SiglipMLP(h, cfg["intermediate_size"])
        self.num_heads = cfg["num_attention_heads"]

    def forward(self, hidden_state, attention_mask=None):
        batch_size = hidden_state.shape[0]
        probe = self.probe.repeat(batch_size, 1, 1)
        if attention_mask is not None:  # Siglip2 only
            target_len, source_len = probe.shape[1], hidden_state.shape[1]
            attention_mask = prepare_4d_attention_mask(attention_mask, hidden_state.dtype, target_len)
            attention_mask = attention_mask.repeat(1, self.num_heads, target_len, 1)
            attention_mask = attention_mask.reshape(-1, target_len, source_len)
        hidden_state = self.attention(probe, hidden_state, hidden_state, attn_mask=attention_mask)[0]
        residual = hidden_state
        hidden_state = self.layernorm(hidden_state)
        hidden_state = residual + self.mlp(hidden_state)
        return hidden_state[:, 0]


class SiglipVisionEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, p = cfg["hidden_size"], cfg["patch_size"]
        self.patch_embedding = nn.Conv2d(cfg["num_channels"], h, kernel_size=p, stride=p, padding="valid")
        self.num_patches = (cfg["image_size"] // p) ** 2
        self.position_embedding = nn.Embedding(self.num_patches, h)
        self.register_buffer("position_ids", torch.arange(self.num_patches).expand((1, -1)), persistent=False)

    def forward(self, pixel_values):
        patch_embeds = self.patch_embedding(pixel_values)
        embeddings = patch_embeds.flatten(2).transpose(1, 2)
        return embeddings + self.position_embedding(self.position_ids)


class Siglip2VisionEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, p = cfg["hidden_size"], cfg["patch_size"]
        self.patch_size = p
        self.patch_embedding = nn.Linear(cfg["num_channels"] * p * p, h)
        self.num_patches = cfg["num_patches"]
        self.position_embedding_size = int(self.num_patches ** 0.5)
        self.position_embedding = nn.Embedding(self.num_patches, h)

    @staticmethod
    def resize_positional_embeddings(positional_embeddings, spatial_shapes, max_length):
        batch_size, embed_dim = spatial_shapes.shape[0], positional_embeddings.shape[-1]
        result = torch.empty((batch_size, max_length, embed_dim), dtype=positional_embeddings.dtype)
        positional_embeddings = positional_embeddings.permute(2, 0, 1).unsqueeze(0).to(torch.float32)
        for i in range(batch_size):
            height, width = [int(v) for v in spatial_shapes[i]]
            resized = F.interpolate(positional_embeddings, size=(height, width), mode="bilinear", align_corners=False, antialias=True)
            resized = resized.reshape(embed_dim, height * width).transpose(0, 1)
            result[i, : height * width] = resized
            result[i, height * width:] = resized[0]
        return result

    def forward(self, pixel_values, spatial_shapes):
        patch_embeds = self.patch_embedding(pixel_values)
        pe = self.position_embedding.weight.reshape(self.position_embedding_size, self.position_embedding_size, -1)
        return patch_embeds + self.resize_positional_embeddings(pe, spatial_shapes, max_length=pixel_values.shape[1])


class SiglipVisionTransformer(nn.Module):
    def __init__(self, cfg, naflex):
        super().__init__()
        self.naflex = naflex
        self.embeddings = (Siglip2VisionEmbeddings if naflex else SiglipVisionEmbeddings)(cfg)
        self.encoder = SiglipEncoder(cfg)
        self.post_layernorm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        self.head = SiglipMultiheadAttentionPoolingHead(cfg)

    def forward(self, pixel_values, attention_mask=None, spatial_shapes=None):
        if self.naflex:
            x = self.embeddings(pixel_values, spatial_shapes)
            encoder_mask = prepare_4d_attention_mask(attention_mask, x.dtype)
        else:
            x, encoder_mask = self.embeddings(pixel_values), None
        x = self.post_layernorm(self.encoder(x, encoder_mask))
        return self.head(x, attention_mask)


class SiglipTextEmbeddings(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h = cfg["hidden_size"]
        self.token_embedding = nn.Embedding(cfg["vocab_size"], h)
        self.position_embedding = nn.Embedding(cfg["max_position_embeddings"], h)
        self.register_buffer("position_ids", torch.arange(cfg["max_position_embeddings"]).expand((1, -1)), persistent=False)

    def forward(self, input_ids):
        seq_length = input_ids.shape[-1]
        return self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :seq_length])


class SiglipTextTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embeddings = SiglipTextEmbeddings(cfg)
        self.encoder = SiglipEncoder(cfg)
        self.final_layer_norm = nn.LayerNorm(cfg["hidden_size"], eps=cfg["layer_norm_eps"])
        self.head = nn.Linear(cfg["hidden_size"], cfg.get("projection_size", cfg["hidden_size"]))

    def forward(self, input_ids):
        # SigLIP's text tower is not causal; the checkpoints are used without an attention mask
        # (padding="max_length"), and the pooled state is the last position's, padding or not.
        x = self.final_layer_norm(self.encoder(self.embeddings(input_ids)))
        return self.head(x[:, -1, :])


class SiglipModel(nn.Module):
    """SiglipModel (naflex=False) or Siglip2Model (naflex=True); state_dict() keys are HF's."""

    def __init__(self, config, naflex):
        super().__init__()
        self.naflex = naflex
        self.text_model = SiglipTextTransformer(config["text_config"])
        self.vision_model = SiglipVisionTransformer(config["vision_config"], naflex)
        self.logit_scale = nn.Parameter(torch.randn(1))
        self.logit_bias = nn.Parameter(torch.randn(1))

    def get_image_features(self, pixel_values, pixel_attention_mask=None, spatial_shapes=None):
        return self.vision_model(pixel_values, pixel_attention_mask, spatial_shapes)

    def get_text_features(self, input_ids):
        return self.text_model(input_ids)

    def forward(self, input_ids, pixel_values, pixel_attention_mask=None, spatial_shapes=None):
        image_embeds = self.get_image_features(pixel_values, pixel_attention_mask, spatial_shapes)
        text_embeds = self.get_text_features(input_ids)
        img = image_embeds / image_embeds.norm(p=2, dim=-1, keepdim=True)
        txt = text_embeds / text_embeds.norm(p=2, dim=-1, keepdim=True)
        logits_per_text = torch.matmul(txt, img.t()) * self.logit_scale.exp() + self.logit_bias
        return image_embeds, text_embeds, logits_per_text.t()


# ------------------------------------------------------------------------------------- preprocessing

def rescale_normalize(array_u8, mean, std):
    """rescale (float64 multiply, then float32) and normalize (float32), as the slow HF processors do."""
    x = (array_u8.astype(np.float64) * (1 / 255)).astype(np.float32)
    return ((x - np.array(mean, dtype=np.float32)) / np.array(std, dtype=np.float32)).astype(np.float32)


def preprocess_fixres(image, size, resample, mean, std):
    """SiglipImageProcessor: resize to (size, size) ignoring aspect, rescale, normalize → (3, H, W)."""
    from PIL import Image
    resized = np.asarray(image.convert("RGB").resize((size, size), resample=resample))
    return rescale_normalize(resized, mean, std).transpose(2, 0, 1)


def get_image_size_for_max_num_patches(image_height, image_width, patch_size, max_num_patches, eps=1e-5):
    def get_scaled_image_size(scale, size, patch_size):
        scaled_size = size * scale
        scaled_size = math.ceil(scaled_size / patch_size) * patch_size
        scaled_size = max(patch_size, scaled_size)
        return int(scaled_size)

    scale_min, scale_max = eps / 10, 100.0
    while (scale_max - scale_min) >= eps:
        scale = (scale_min + scale_max) / 2
        target_height = get_scaled_image_size(scale, image_height, patch_size)
        target_width = get_scaled_image_size(scale, image_width, patch_size)
        num_patches = (target_height / patch_size) * (target_width / patch_size)
        if num_patches <= max_num_patches:
            scale_min = scale
        else:
            scale_max = scale
    scale = scale_min
    return get_scaled_image_size(scale, image_height, patch_size), get_scaled_image_size(scale, image_width, patch_size)


def preprocess_naflex(images, patch_size, max_num_patches, resample, mean, std):
    """Siglip2ImageProcessor: per image resize to the patch budget, rescale, normalize, patchify
    channels-last ((H/p, W/p, p, p, C) order), pad to max_num_patches with zeros and a 0 mask."""
    pixel_values, masks, shapes = [], [], []
    for image in images:
        image = image.convert("RGB")
        th, tw = get_image_size_for_max_num_patches(image.height, image.width, patch_size, max_num_patches)
        arr = rescale_normalize(np.asarray(image.resize((tw, th), resample=resample)), mean, std).transpose(2, 0, 1)
        c, h, w = arr.shape
        gh, gw = h // patch_size, w // patch_size
        patches = arr.reshape(c, gh, patch_size, gw, patch_size).transpose(1, 3, 2, 4, 0).reshape(gh * gw, -1)
        padded = np.zeros((max_num_patches, patches.shape[1]), dtype=np.float32)
        padded[: gh * gw] = patches
        mask = np.zeros((max_num_patches,), dtype=np.int32)
        mask[: gh * gw] = 1
        pixel_values.append(padded)
        masks.append(mask)
        shapes.append((gh, gw))
    return (torch.from_numpy(np.stack(pixel_values)), torch.from_numpy(np.stack(masks)),
            torch.tensor(shapes, dtype=torch.int64))


# ------------------------------------------------------------------------------------------ fixtures

def load_safetensors(path):
    """The tensors of a safetensors file (F32/I32/I64), as torch tensors."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = {"F32": np.float32, "I32": np.int32, "I64": np.int64}[info["dtype"]]
        start, end = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[start:end], dtype=dt).reshape(info["shape"]).copy())
    return out


def save_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        dt = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().tobytes()
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, sort_keys=False).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def randomise(model, seed):
    """Every parameter random (seeded), at scales that keep activations O(1) and the towers non-degenerate."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * torch.randn(p.shape, generator=gen))
            elif name == "logit_scale":
                p.fill_(math.log(10.0))
            elif name == "logit_bias":
                p.fill_(-1.5)
            elif p.dim() >= 2 and ("patch_embedding" in name or "embedding" not in name) and name != "vision_model.head.probe":
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) * (1.5 / math.sqrt(fan_in)))
            elif p.dim() == 1:  # biases
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
            else:  # token/position embeddings, the probe
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)


TEXT = {"hidden_size": 64, "intermediate_size": 160, "num_attention_heads": 4, "num_hidden_layers": 2,
        "vocab_size": 320, "max_position_embeddings": 16, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh",
        "pad_token_id": 1, "eos_token_id": 1, "bos_token_id": 2, "projection_size": 64}
VISION_FIXRES = {"hidden_size": 64, "intermediate_size": 160, "num_attention_heads": 4, "num_hidden_layers": 2,
                 "image_size": 32, "patch_size": 8, "num_channels": 3, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"}
VISION_NAFLEX = {"hidden_size": 64, "intermediate_size": 160, "num_attention_heads": 4, "num_hidden_layers": 2,
                 "num_patches": 16, "patch_size": 8, "num_channels": 3, "layer_norm_eps": 1e-6, "hidden_act": "gelu_pytorch_tanh"}
MEAN, STD = [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]
BUDGETS = [16, 40]


def make_images(outdir):
    """Real photos: square, wide and tall crops of skimage's data images, shrunk to keep the fixture small."""
    import skimage.data as data
    from PIL import Image
    os.makedirs(os.path.join(outdir, "images"), exist_ok=True)
    specs = {
        "square": (data.astronaut(), (96, 96)),
        "wide": (data.coffee(), (120, 80)),
        "tall": (data.astronaut()[:, 140:340], (50, 128)),
        "rocket": (data.rocket(), (110, 73)),
    }
    images = {}
    for name, (array, size) in specs.items():
        img = Image.fromarray(np.ascontiguousarray(array)).resize(size, Image.LANCZOS)
        path = os.path.join(outdir, "images", f"{name}.png")
        img.save(path, optimize=False, compress_level=6)
        images[name] = Image.open(path).convert("RGB")
    return images


def token_batch(seed):
    """Token ids as a SigLIP tokenizer would give them (content then pad id 1 up to max_length 16,
    eos 1 at the end of content), plus one sequence that fills the context with no padding."""
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for length in [3, 7, 11, 16, 1]:
        ids = torch.full((16,), TEXT["pad_token_id"], dtype=torch.int64)
        ids[:length] = torch.randint(3, TEXT["vocab_size"], (length,), generator=gen)
        if length < 16:
            ids[length - 1] = TEXT["eos_token_id"] if length > 1 else ids[0]
        rows.append(ids)
    return torch.stack(rows)


def write_model(outdir, model, config, preprocessor):
    os.makedirs(outdir, exist_ok=True)
    save_safetensors(os.path.join(outdir, "model.safetensors"), model.state_dict())
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(outdir, "preprocessor_config.json"), "w") as f:
        json.dump(preprocessor, f, indent=2)


def sigmoid_loss(logits_per_text):
    """SiglipModel.forward(return_loss=True): -mean over texts of sum over images of logsigmoid(z * logits),
    z = +1 on the diagonal (the matching pairs) and -1 elsewhere."""
    eye = torch.eye(logits_per_text.size(0), dtype=logits_per_text.dtype)
    m1_diag1 = -torch.ones_like(logits_per_text) + 2 * eye
    loglik = F.logsigmoid(m1_diag1 * logits_per_text)
    nll = -torch.sum(loglik, dim=-1)
    return nll.mean()


def make_training(model_dir, batch=4):
    """Loss and the gradient of every parameter (named as in state_dict) for one batch under the sigmoid
    loss: the fixture's first `batch` images (pixel_values) paired with its first `batch` token rows, on
    the committed model.safetensors. Computed in float32 (what is stored) and float64 (printed: how far
    float32 rounding alone moves each gradient, so a parity bar can be judged against it)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    base = SiglipModel(cfg, naflex=cfg["model_type"] == "siglip2")
    base.load_state_dict(load_safetensors(os.path.join(model_dir, "model.safetensors")))
    expected = load_safetensors(os.path.join(model_dir, "expected.safetensors"))
    pixels, ids = expected["pixel_values"][:batch], expected["input_ids"][:batch].to(torch.int64)
    results = {}
    for dtype in (torch.float64, torch.float32):
        model = copy.deepcopy(base).to(dtype).train()  # no dropout anywhere: train() changes nothing but the MHA fast path
        _, _, logits_per_image = model(ids, pixels.to(dtype))
        loss = sigmoid_loss(logits_per_image.t())
        model.zero_grad()
        loss.backward()
        results[dtype] = (loss.detach(), {name: p.grad.detach().clone() for name, p in model.named_parameters()})
    loss32, grads32 = results[torch.float32]
    loss64, grads64 = results[torch.float64]
    print(f"training: loss float32 {loss32.item():.8f}, float64 {loss64.item():.8f}")
    worst = max(((g.double() - grads64[n]).norm() / grads64[n].norm().clamp_min(1e-30)).item() for n, g in grads32.items()
                if grads64[n].norm() > 1e-6 * math.sqrt(sum(v.norm() ** 2 for v in grads64.values())))
    print(f"training: worst float32-vs-float64 gradient relative error {worst:.2e} over {len(grads32)} parameters")
    tensors = {"pixel_values": pixels, "input_ids": ids.to(torch.int32), "loss": loss32.reshape(1)}
    tensors.update({"grad." + name: g for name, g in grads32.items()})
    save_safetensors(os.path.join(model_dir, "training.safetensors"), tensors)


def main():
    root = os.path.dirname(os.path.abspath(__file__))
    args = [a for a in sys.argv[1:] if a != "--training-only"]
    outdir = args[0] if args else os.path.join(root, "..", "ClipSharp.Tests", "data", "siglip")
    if "--training-only" in sys.argv:
        torch.set_num_threads(1)
        make_training(os.path.join(outdir, "siglip-fixres"))
        return
    torch.manual_seed(0)
    torch.set_num_threads(1)  # deterministic reductions
    images = make_images(outdir)
    order = ["square", "wide", "tall", "rocket"]
    input_ids = token_batch(7)

    # SigLIP (and SigLIP 2 FixRes, which is the same SiglipModel layout): model_type "siglip".
    cfg = {"architectures": ["SiglipModel"], "model_type": "siglip", "text_config": {**TEXT, "model_type": "siglip_text_model"},
           "vision_config": {**VISION_FIXRES, "model_type": "siglip_vision_model"}, "torch_dtype": "float32"}
    pre = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN, "image_std": STD,
           "image_processor_type": "SiglipImageProcessor", "processor_class": "SiglipProcessor", "resample": 3,
           "rescale_factor": 1 / 255, "size": {"height": 32, "width": 32}}
    model = SiglipModel(cfg, naflex=False).eval()
    randomise(model, 1)
    write_model(os.path.join(outdir, "siglip-fixres"), model, cfg, pre)
    pixels = torch.from_numpy(np.stack([preprocess_fixres(images[n], 32, 3, MEAN, STD) for n in order]))
    with torch.no_grad():
        img, txt, logits = model(input_ids, pixels)
    save_safetensors(os.path.join(outdir, "siglip-fixres", "expected.safetensors"), {
        "pixel_values": pixels, "input_ids": input_ids.to(torch.int32), "image_embeds": img, "text_embeds": txt,
        "logits_per_image": logits, "probs": torch.sigmoid(logits)})
    make_training(os.path.join(outdir, "siglip-fixres"))

    # SigLIP 2 NaFlex: model_type "siglip2".
    cfg2 = {"architectures": ["Siglip2Model"], "model_type": "siglip2", "text_config": {**TEXT, "model_type": "siglip2_text_model"},
            "vision_config": {**VISION_NAFLEX, "model_type": "siglip2_vision_model"}, "torch_dtype": "float32"}
    pre2 = {"do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": MEAN, "image_std": STD,
            "image_processor_type": "Siglip2ImageProcessor", "processor_class": "Siglip2Processor", "resample": 2,
            "rescale_factor": 1 / 255, "max_num_patches": BUDGETS[0], "patch_size": 8}
    model2 = SiglipModel(cfg2, naflex=True).eval()
    randomise(model2, 2)
    write_model(os.path.join(outdir, "siglip2-naflex"), model2, cfg2, pre2)
    expected = {"input_ids": input_ids.to(torch.int32)}
    for budget in BUDGETS:
        pv, mask, shapes = preprocess_naflex([images[n] for n in order], 8, budget, 2, MEAN, STD)
        with torch.no_grad():
            img, txt, logits = model2(input_ids, pv, mask, shapes)
        expected.update({f"pixel_values_{budget}": pv, f"pixel_attention_mask_{budget}": mask,
                         f"spatial_shapes_{budget}": shapes, f"image_embeds_{budget}": img,
                         f"logits_per_image_{budget}": logits, f"probs_{budget}": torch.sigmoid(logits)})
        expected["text_embeds"] = txt
        print(f"naflex budget {budget}: spatial shapes {shapes.tolist()}")
    save_safetensors(os.path.join(outdir, "siglip2-naflex", "expected.safetensors"), expected)
    print("wrote", os.path.abspath(outdir))


if __name__ == "__main__":
    main()
