#!/usr/bin/python3
"""Generates the reference data for ClipSharp.Imaging.Tests with Pillow 9.4 (Debian bookworm's python3-pil).

    apt-get install -y python3-pil python3-numpy
    /usr/bin/python3 tests/ClipSharp.Imaging.Tests/data/make_reference.py

Writes, next to this script:
  images/*.png|bmp|gif   small test files: PNGs, BMPs and GIFs written by the encoders below (every PNG colour
                         type, bit depth, filter type and interlace; BMP 1/4/8/16/24/32-bit, RLE, bitfields,
                         top-down, OS/2; GIF local/global palettes, transparency, interlace, offsets, code sizes)
  decode_reference.json  per file: the mode Pillow opens it in, its size, and offsets into decode_reference.bin of
                         the raw pixels ("1" as 0/255 bytes, "I" as int32 LE) and of convert("RGB")
  resample_reference.*   Image.resize outputs for inputs drawn from the LCG below (so C# regenerates the inputs)
  convert_reference.*    exhaustive RGBA<->RGBa, LA<->La, CMYK->RGB and I->RGB tables
  orientation_reference.json  ImageOps.exif_transpose of a 3x2 image for orientations 1..8
"""
import io
import json
import os
import struct
import zlib

import numpy as np
import PIL
from PIL import Image, ImageOps

assert PIL.__version__ == "9.4.0", f"references must come from Pillow 9.4.0, found {PIL.__version__}"
HERE = os.path.dirname(os.path.abspath(__file__))
IMAGES = os.path.join(HERE, "images")


class Lcg:
    """state = (state * 1103515245 + 12345) mod 2^31; each byte is (state >> 16) & 255."""

    def __init__(self, seed):
        self.state = seed & 0x7FFFFFFF

    def byte(self):
        self.state = (self.state * 1103515245 + 12345) & 0x7FFFFFFF
        return (self.state >> 16) & 0xFF

    def bytes(self, n):
        return bytes(self.byte() for _ in range(n))


# ----------------------------------------------------------------------------------------------- PNG
def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(ftype, row, prev, bpp):
    out = bytearray()
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
        out.append((x - pred) & 0xFF)
    return bytes([ftype]) + bytes(out)


def pack_samples(samples, depth):
    """samples: one row of ints; packs MSB-first for depth < 8, big-endian for 16."""
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    if depth == 8:
        return bytes(samples)
    out, acc, nbits = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, w, h, depth, ctype, samples, interlace=False, plte=None, trns=None, exif=None, split_idat=1):
    """samples: array (h, w, channels) of ints."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    bpp = max(1, channels * depth // 8)
    raw = bytearray()
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    rownum = 0
    for x0, y0, dx, dy in passes:
        sub = samples[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        prev = bytes(len(pack_samples(list(sub[0].reshape(-1)), depth)))
        for r in sub:
            row = pack_samples([int(v) for v in r.reshape(-1)], depth)
            raw += filter_row(rownum % 5, row, prev, bpp)
            prev = row
            rownum += 1
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, 1 if interlace else 0))
    data += png_chunk(b"gAMA", struct.pack(">I", 45455))
    if plte is not None:
        data += png_chunk(b"PLTE", bytes(plte))
    if trns is not None:
        data += png_chunk(b"tRNS", bytes(trns))
    if exif is not None:
        data += png_chunk(b"eXIf", exif)
    z = zlib.compress(bytes(raw), 9)
    step = max(1, len(z) // split_idat + 1)
    for i in range(0, len(z), step):
        data += png_chunk(b"IDAT", z[i:i + step])
    data += png_chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def exif_orientation(value):
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, value) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd


def make_pngs(rng):
    w, h = 13, 11
    for ctype, depths in [(0, [1, 2, 4, 8, 16]), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16])]:
        channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
        for depth in depths:
            for interlace in (False, True):
                maxv = (1 << depth) - 1
                if ctype == 3:
                    ncolors = min(1 << depth, 200)
                    samples = np.array([rng.byte() % ncolors for _ in range(w * h)]).reshape(h, w, 1)
                    plte = rng.bytes(3 * ncolors)
                    trns = rng.bytes(min(ncolors, 5)) if depth in (2, 8) else None
                else:
                    vals = [(rng.byte() << 8 | rng.byte()) & maxv for _ in range(w * h * channels)]
                    samples = np.array(vals).reshape(h, w, channels)
                    plte = None
                    trns = None
                    if ctype == 0 and depth in (8, 16):
                        trns = struct.pack(">H", 7)
                    if ctype == 2 and depth == 8:
                        trns = struct.pack(">HHH", 1, 2, 3)
                name = f"png_c{ctype}_d{depth}{'_i' if interlace else ''}.png"
                write_png(os.path.join(IMAGES, name), w, h, depth, ctype, samples, interlace, plte, trns,
                          split_idat=3 if interlace else 1)
    # odd sizes that exercise empty Adam7 passes, plus an eXIf orientation
    for (w2, h2) in [(1, 1), (2, 3), (5, 1)]:
        samples = np.array(list(rng.bytes(w2 * h2 * 3))).reshape(h2, w2, 3)
        write_png(os.path.join(IMAGES, f"png_tiny_{w2}x{h2}_i.png"), w2, h2, 8, 2, samples, True)
    samples = np.array(list(rng.bytes(6 * 4 * 3))).reshape(4, 6, 3)
    write_png(os.path.join(IMAGES, "png_exif6.png"), 6, 4, 8, 2, samples, exif=exif_orientation(6))
    # Pillow's own writer, for good measure
    Image.fromarray(np.array(list(rng.bytes(20 * 17 * 3)), dtype=np.uint8).reshape(17, 20, 3)).save(
        os.path.join(IMAGES, "png_pillow_rgb.png"))


# ----------------------------------------------------------------------------------------------- BMP
def write_bmp(path, w, h, bits, rows, palette=None, compression=0, header=40, masks=None, top_down=False,
              pixel_data=None, colors_used=None, palette_entry=4):
    """rows: list of already-packed rows (top row first); they are padded to 4 bytes and stored bottom-up."""
    if pixel_data is None:
        stride = ((w * bits + 31) >> 3) & ~3
        ordered = rows if top_down else rows[::-1]
        pixel_data = b"".join(r.ljust(stride, b"\0") for r in ordered)
    pal = b""
    if palette is not None:
        pal = b"".join(bytes([b, g, r] + ([0] if palette_entry == 4 else [])) for (r, g, b) in palette)
    if header == 12:
        info = struct.pack("<IHHHH", 12, w, h, 1, bits)
        extra = b""
    else:
        ncolors = len(palette) if (palette is not None and colors_used is None) else (colors_used or 0)
        info = struct.pack("<IiiHHIIiiII", header, w, -h if top_down else h, 1, bits, compression,
                           len(pixel_data), 2835, 2835, ncolors, 0)
        extra = b""
        if header > 40:
            m = masks or (0, 0, 0, 0)
            tail = struct.pack("<IIII", *m)
            info += tail + bytes(header - 40 - len(tail))
        elif masks is not None:
            extra = struct.pack("<III", *masks[:3])
    off = 14 + len(info) + len(extra) + len(pal)
    data = b"BM" + struct.pack("<IHHI", off + len(pixel_data), 0, 0, off) + info + extra + pal + pixel_data
    with open(path, "wb") as f:
        f.write(data)


def rle8(rows):
    out = bytearray()
    for r in rows:
        i = 0
        while i < len(r):
            j = i
            while j < len(r) and r[j] == r[i] and j - i < 255:
                j += 1
            if j - i >= 3 or len(r) - i < 4:
                out += bytes([j - i, r[i]])
                i = j
            else:
                n = min(4, len(r) - i)  # even-length literal
                out += bytes([0, n]) + bytes(r[i:i + n])
                i += n
        out += b"\x00\x00"
    out += b"\x00\x01"
    return bytes(out)


def rle4(rows):
    out = bytearray()
    for r in rows:  # r: list of 4-bit indices; runs of alternating pairs and even literals
        i = 0
        while i < len(r):
            if i + 1 < len(r) and len(r) - i >= 6 and i % 3 == 0:
                n = 4
                out += bytes([0, n, (r[i] << 4) | r[i + 1], (r[i + 2] << 4) | r[i + 3]])
                i += n
            else:
                n = min(2, len(r) - i)
                hi, lo = r[i], r[i + 1] if n == 2 else 0
                out += bytes([n, (hi << 4) | lo])
                i += n
        out += b"\x00\x00"
    out += b"\x00\x01"
    return bytes(out)


def make_bmps(rng):
    w, h = 11, 7
    pal16 = [tuple(rng.bytes(3)) for _ in range(16)]
    pal256 = [tuple(rng.bytes(3)) for _ in range(256)]
    idx = lambda n: [[rng.byte() % n for _ in range(w)] for _ in range(h)]
    p1 = idx(2)
    pk1 = [pack_samples(r, 1) for r in p1]
    write_bmp(os.path.join(IMAGES, "bmp_1bit_bw.bmp"), w, h, 1, pk1, palette=[(0, 0, 0), (255, 255, 255)])
    write_bmp(os.path.join(IMAGES, "bmp_1bit_color.bmp"), w, h, 1, pk1, palette=[(200, 10, 30), (5, 90, 250)])
    p4 = idx(16)
    write_bmp(os.path.join(IMAGES, "bmp_4bit.bmp"), w, h, 4, [pack_samples(r, 4) for r in p4], palette=pal16)
    p8 = idx(256)
    write_bmp(os.path.join(IMAGES, "bmp_8bit.bmp"), w, h, 8, [bytes(r) for r in p8], palette=pal256)
    write_bmp(os.path.join(IMAGES, "bmp_8bit_topdown.bmp"), w, h, 8, [bytes(r) for r in p8], palette=pal256, top_down=True)
    write_bmp(os.path.join(IMAGES, "bmp_8bit_grey.bmp"), w, h, 8, [bytes(r) for r in p8],
              palette=[(i, i, i) for i in range(256)])
    p8s = idx(40)
    write_bmp(os.path.join(IMAGES, "bmp_8bit_short_palette.bmp"), w, h, 8, [bytes(r) for r in p8s],
              palette=pal256[:30])  # indices 30..39 fall past the palette
    write_bmp(os.path.join(IMAGES, "bmp_8bit_os2.bmp"), w, h, 8, [bytes(r) for r in p8], palette=pal256,
              header=12, palette_entry=3)
    runs = [[(x // 3 * 7 + y) % 256 for x in range(w)] for y in range(h)]
    write_bmp(os.path.join(IMAGES, "bmp_rle8.bmp"), w, h, 8, None, palette=pal256, compression=1,
              pixel_data=rle8(runs))
    runs4 = [[(x // 2 + y) % 16 for x in range(12)] for y in range(h)]
    write_bmp(os.path.join(IMAGES, "bmp_rle4.bmp"), 12, h, 4, None, palette=pal16, compression=2,
              pixel_data=rle4(runs4))
    rgb = [rng.bytes(w * 3) for _ in range(h)]
    write_bmp(os.path.join(IMAGES, "bmp_24bit.bmp"), w, h, 24, rgb)
    write_bmp(os.path.join(IMAGES, "bmp_24bit_topdown.bmp"), w, h, 24, rgb, top_down=True)
    rgbx = [rng.bytes(w * 4) for _ in range(h)]
    write_bmp(os.path.join(IMAGES, "bmp_32bit.bmp"), w, h, 32, rgbx)
    write_bmp(os.path.join(IMAGES, "bmp_32bit_bitfields_bgra.bmp"), w, h, 32, rgbx, compression=3, header=124,
              masks=(0xFF0000, 0xFF00, 0xFF, 0xFF000000))
    write_bmp(os.path.join(IMAGES, "bmp_32bit_bitfields_rgba.bmp"), w, h, 32, rgbx, compression=3, header=108,
              masks=(0xFF, 0xFF00, 0xFF0000, 0xFF000000))
    write_bmp(os.path.join(IMAGES, "bmp_32bit_bitfields_xbgr.bmp"), w, h, 32, rgbx, compression=3, header=40,
              masks=(0xFF000000, 0xFF0000, 0xFF00, 0))
    px16 = [rng.bytes(w * 2) for _ in range(h)]
    write_bmp(os.path.join(IMAGES, "bmp_16bit_555.bmp"), w, h, 16, px16)
    write_bmp(os.path.join(IMAGES, "bmp_16bit_565.bmp"), w, h, 16, px16, compression=3, header=40,
              masks=(0xF800, 0x7E0, 0x1F, 0))
    Image.fromarray(np.array(list(rng.bytes(9 * 5 * 3)), dtype=np.uint8).reshape(5, 9, 3)).save(
        os.path.join(IMAGES, "bmp_pillow_rgb.bmp"))


# ----------------------------------------------------------------------------------------------- GIF
def lzw_encode(indices, min_code_size, clear_when_full=True):
    clear, end = 1 << min_code_size, (1 << min_code_size) + 1
    codes = []
    table = {bytes([i]): i for i in range(clear)}
    nxt, size = end + 1, min_code_size + 1
    out_bits = []  # (code, size)
    out_bits.append((clear, size))
    w = b""
    for k in indices:
        wk = w + bytes([k])
        if wk in table:
            w = wk
            continue
        out_bits.append((table[w], size))
        if nxt < 4096:
            table[wk] = nxt
            nxt += 1
            if nxt > (1 << size) and size < 12:
                size += 1
        elif clear_when_full:
            out_bits.append((clear, size))
            table = {bytes([i]): i for i in range(clear)}
            nxt, size = end + 1, min_code_size + 1
        w = bytes([k])
    if w:
        out_bits.append((table[w], size))
        # the decoder adds an entry after this code too; keep the width in step
        if nxt < 4096 and nxt + 1 > (1 << size) and size < 12:
            size += 1
    out_bits.append((end, size))
    acc, nacc, data = 0, 0, bytearray()
    for code, s in out_bits:
        acc |= code << nacc
        nacc += s
        while nacc >= 8:
            data.append(acc & 0xFF)
            acc >>= 8
            nacc -= 8
    if nacc:
        data.append(acc & 0xFF)
    blocks = bytearray()
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        blocks += bytes([len(chunk)]) + chunk
    return bytes([min_code_size]) + bytes(blocks) + b"\x00"


def write_gif(path, sw, sh, frame, fx, fy, fw, fh, bits, global_pal=None, local_pal=None, transparency=None,
              interlace=False, min_code_size=None, clear_when_full=True):
    flags = 0
    data = b"GIF89a" + struct.pack("<HH", sw, sh)
    if global_pal is not None:
        data += bytes([0x80 | (bits - 1), 0, 0]) + bytes(global_pal)
    else:
        data += bytes([0, 0, 0])
    if transparency is not None:
        data += b"!\xf9\x04" + bytes([1]) + b"\x00\x00" + bytes([transparency]) + b"\x00"
    data += b"!\xfe\x05hello\x00"  # a comment extension to skip
    lflags = 0
    if local_pal is not None:
        lflags |= 0x80 | (bits - 1)
    if interlace:
        lflags |= 0x40
    data += b"," + struct.pack("<HHHH", fx, fy, fw, fh) + bytes([lflags])
    if local_pal is not None:
        data += bytes(local_pal)
    order = list(range(fh))
    if interlace:
        order = list(range(0, fh, 8)) + list(range(4, fh, 8)) + list(range(2, fh, 4)) + list(range(1, fh, 2))
    seq = [frame[r][c] for r in order for c in range(fw)]
    data += lzw_encode(seq, min_code_size or max(2, bits), clear_when_full)
    data += b";"
    with open(path, "wb") as f:
        f.write(data)


def make_gifs(rng):
    pal = list(rng.bytes(3 * 16))
    f = [[rng.byte() % 16 for _ in range(9)] for _ in range(13)]
    write_gif(os.path.join(IMAGES, "gif_global.gif"), 9, 13, f, 0, 0, 9, 13, 4, global_pal=pal)
    write_gif(os.path.join(IMAGES, "gif_local_interlaced.gif"), 9, 13, f, 0, 0, 9, 13, 4, local_pal=pal, interlace=True)
    write_gif(os.path.join(IMAGES, "gif_offset_transparent.gif"), 14, 17, f, 3, 2, 9, 13, 4, global_pal=pal,
              transparency=5)
    write_gif(os.path.join(IMAGES, "gif_offset_opaque.gif"), 14, 17, f, 3, 2, 9, 13, 4, global_pal=pal)
    write_gif(os.path.join(IMAGES, "gif_exceeds_screen.gif"), 6, 6, f, 2, 1, 9, 13, 4, global_pal=pal)
    grey = [i for k in range(16) for i in (k, k, k)]
    write_gif(os.path.join(IMAGES, "gif_grey_ramp_palette.gif"), 9, 13, f, 0, 0, 9, 13, 4, global_pal=grey)
    f2 = [[rng.byte() % 2 for _ in range(7)] for _ in range(5)]
    write_gif(os.path.join(IMAGES, "gif_1bit.gif"), 7, 5, f2, 0, 0, 7, 5, 1, global_pal=[0, 0, 0, 250, 200, 100])
    big = [[rng.byte() for _ in range(120)] for _ in range(90)]  # noise: fills the 4096-entry table
    pal256 = list(rng.bytes(768))
    write_gif(os.path.join(IMAGES, "gif_big_noise.gif"), 120, 90, big, 0, 0, 120, 90, 8, global_pal=pal256)
    write_gif(os.path.join(IMAGES, "gif_big_noise_noclear.gif"), 120, 90, big, 0, 0, 120, 90, 8, global_pal=pal256,
              interlace=True, clear_when_full=False)
    im = Image.fromarray(np.array(list(rng.bytes(20 * 18)), dtype=np.uint8).reshape(18, 20), "L").convert("P")
    im.save(os.path.join(IMAGES, "gif_pillow.gif"), transparency=3)


# ----------------------------------------------------------------------------------------------- references
def pixels_of(im):
    if im.mode == "1":
        return np.array(im.convert("L")).tobytes()
    if im.mode == "I":
        return np.array(im, dtype="<i4").tobytes()
    return np.array(im).tobytes()


def decode_references():
    blob = bytearray()
    entries = []
    for name in sorted(os.listdir(IMAGES)):
        with Image.open(os.path.join(IMAGES, name)) as im:
            im.load()
            px = pixels_of(im)
            rgb = np.array(im.convert("RGB")).tobytes()
            entry = {"file": name, "mode": im.mode, "width": im.size[0], "height": im.size[1],
                     "pixels": [len(blob), len(px)]}
            blob += px
            entry["rgb"] = [len(blob), len(rgb)]
            blob += rgb
            exif = im.getexif() if hasattr(im, "getexif") else {}
            entry["orientation"] = int(exif.get(0x0112, 1))
            entries.append(entry)
    with open(os.path.join(HERE, "decode_reference.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(HERE, "decode_reference.json"), "w") as f:
        json.dump(entries, f, indent=1)


RESAMPLE_CASES = [
    # mode, in w, in h, out w, out h, filter
    ("RGB", 37, 23, 64, 64, "bicubic"), ("RGB", 37, 23, 64, 64, "bilinear"),
    ("RGB", 101, 77, 32, 45, "bicubic"), ("RGB", 101, 77, 32, 45, "bilinear"),
    ("RGB", 300, 200, 64, 42, "bicubic"), ("RGB", 300, 200, 96, 64, "bilinear"),
    ("RGB", 64, 50, 64, 17, "bicubic"), ("RGB", 50, 64, 17, 64, "bicubic"),
    ("RGB", 7, 5, 61, 3, "bicubic"), ("RGB", 1, 1, 5, 4, "bicubic"), ("RGB", 5, 4, 1, 1, "bicubic"),
    ("RGB", 451, 300, 96, 64, "bicubic"), ("RGB", 240, 160, 96, 64, "bilinear"),
    ("L", 53, 41, 29, 67, "bicubic"), ("L", 53, 41, 29, 67, "bilinear"), ("L", 200, 133, 64, 42, "bicubic"),
    ("RGBA", 45, 31, 20, 13, "bicubic"), ("RGBA", 45, 31, 70, 50, "bilinear"), ("RGBA", 120, 100, 64, 53, "bicubic"),
    ("LA", 33, 21, 16, 40, "bicubic"), ("LA", 33, 21, 16, 21, "bilinear"),
    ("CMYK", 30, 20, 17, 11, "bicubic"),
    ("I", 40, 30, 23, 17, "bicubic"), ("I", 40, 30, 90, 70, "bilinear"), ("I", 40, 30, 40, 11, "bicubic"),
    ("P", 40, 30, 23, 17, "bicubic"), ("P", 17, 9, 64, 40, "bilinear"), ("P", 320, 240, 85, 64, "bicubic"),
    ("1", 40, 30, 23, 71, "bicubic"),
    ("RGB", 73, 59, 31, 19, "lanczos"), ("RGB", 73, 59, 31, 19, "box"), ("RGB", 73, 59, 150, 19, "hamming"),
]
FILTERS = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS, "box": Image.BOX,
           "hamming": Image.HAMMING}
BANDS = {"RGB": 3, "L": 1, "RGBA": 4, "LA": 2, "CMYK": 4, "P": 1, "1": 1}


def lcg_image(mode, w, h, seed):
    """Must match ResamplerTests.LcgImage in C#: pixel bytes straight from the LCG; "I" uses 16-bit values
    (hi << 8 | lo), "1" uses 0/255 by the top bit, "P" gets an LCG palette of 256 entries after the pixels."""
    rng = Lcg(seed)
    if mode == "I":
        vals = [(rng.byte() << 8) | rng.byte() for _ in range(w * h)]
        return Image.fromarray(np.array(vals, dtype=np.int32).reshape(h, w), "I")
    n = w * h * BANDS[mode]
    raw = np.frombuffer(rng.bytes(n), dtype=np.uint8)
    if mode == "1":
        return Image.fromarray(np.where(raw >= 128, 255, 0).astype(np.uint8).reshape(h, w), "L").convert("1")
    if BANDS[mode] == 1:
        im = Image.frombytes("L" if mode == "P" else mode, (w, h), raw.tobytes())
        if mode == "P":
            im = Image.frombytes("P", (w, h), raw.tobytes())
            im.putpalette(rng.bytes(768))
        return im
    return Image.frombytes(mode, (w, h), raw.tobytes())


def resample_references():
    blob = bytearray()
    cases = []
    for i, (mode, iw, ih, ow, oh, filt) in enumerate(RESAMPLE_CASES):
        im = lcg_image(mode, iw, ih, 1000 + i)
        out = im.resize((ow, oh), FILTERS[filt])
        assert out.mode == mode
        px = pixels_of(out)
        cases.append({"mode": mode, "in": [iw, ih], "out": [ow, oh], "filter": filt, "seed": 1000 + i,
                      "offset": len(blob), "length": len(px)})
        blob += px
    with open(os.path.join(HERE, "resample_reference.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(HERE, "resample_reference.json"), "w") as f:
        json.dump(cases, f, indent=1)


def convert_references():
    v = np.arange(256, dtype=np.uint8)
    a, c = np.repeat(v, 256), np.tile(v, 256)  # pixel k: colour c[k], alpha a[k]
    rgba = np.stack([c, c, c, a], -1).reshape(256, 256, 4)
    tables = {
        "RGBA_to_RGBa": np.array(Image.fromarray(rgba, "RGBA").convert("RGBa"))[..., 0],
        "RGBa_to_RGBA": np.array(Image.fromarray(rgba, "RGBa").convert("RGBA"))[..., 0],
        "LA_to_La": np.array(Image.fromarray(np.stack([c, a], -1).reshape(256, 256, 2), "LA").convert("La"))[..., 0],
        "La_to_LA": np.array(Image.fromarray(np.stack([c, a], -1).reshape(256, 256, 2), "La").convert("LA"))[..., 0],
        # CMYK: pixel k has C = M = Y = c[k], K = a[k]
        "CMYK_to_RGB": np.array(Image.fromarray(np.stack([c, c, c, a], -1).reshape(256, 256, 4), "CMYK").convert("RGB"))[..., 0],
    }
    ivals = np.array([-100000, -70000, -256, -1, 0, 1, 17, 254, 255, 256, 1000, 65535, 65536, 10 ** 6], dtype=np.int32)
    i_rgb = np.array(Image.fromarray(ivals.reshape(1, -1), "I").convert("RGB"))[0, :, 0]
    blob = bytearray()
    index = {}
    for k, t in tables.items():
        index[k] = [len(blob), 65536]
        blob += t.astype(np.uint8).tobytes()
    with open(os.path.join(HERE, "convert_reference.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(HERE, "convert_reference.json"), "w") as f:
        json.dump({"tables": index, "I_values": ivals.tolist(), "I_to_RGB": i_rgb.tolist()}, f, indent=1)


def orientation_references():
    base = Image.frombytes("L", (3, 2), bytes([1, 2, 3, 4, 5, 6]))
    out = {}
    for o in range(1, 9):
        im = base.copy()
        exif = im.getexif()
        exif[0x0112] = o
        im.info["exif"] = exif.tobytes()
        t = ImageOps.exif_transpose(im)
        out[str(o)] = {"size": list(t.size), "pixels": list(t.tobytes())}
    with open(os.path.join(HERE, "orientation_reference.json"), "w") as f:
        json.dump(out, f, indent=1)


def main():
    os.makedirs(IMAGES, exist_ok=True)
    rng = Lcg(20240601)
    make_pngs(rng)
    make_bmps(rng)
    make_gifs(rng)
    decode_references()
    resample_references()
    convert_references()
    orientation_references()


if __name__ == "__main__":
    main()
