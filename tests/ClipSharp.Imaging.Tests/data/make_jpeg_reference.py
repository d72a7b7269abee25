#!/usr/bin/python3
"""Builds the JPEG decoder test data: small JPEGs covering the coding options, and the pixels Pillow
decodes from them (and from the shared fixture JPEGs), which the C# tests must reproduce exactly.

Needs Debian's python3-pil (Pillow 9.4 on libjpeg62-turbo 2.1), python3-numpy, libjpeg-turbo-progs (cjpeg)
and imagemagick. Run from anywhere:  /usr/bin/python3 tests/ClipSharp.Imaging.Tests/data/make_jpeg_reference.py

Writes data/jpeg/*.jpg, data/jpeg/ref/*.gz (Pillow's np.asarray(img).tobytes(), Sub-filtered per row, gzip) and
data/jpeg/manifest.json: one entry per decode with the file, the draft scale, size, mode, the expected
EXIF orientation and the reference file.
"""
import gzip
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image, features

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "jpeg")
REF = os.path.join(OUT, "ref")
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
SHARED = os.environ.get("CLIPSHARP_SHARED", os.path.join(REPO, "..", "shared"))
FIXTURES = os.path.join(SHARED, "fixtures", "vit-tiny", "images")
TMP = tempfile.mkdtemp()

os.makedirs(REF, exist_ok=True)


def source(name, box, size=None):
    """A crop of a fixture PNG as an RGB Pillow image, optionally resized (bicubic) to `size`."""
    im = Image.open(os.path.join(FIXTURES, name)).convert("RGB").crop(box)
    if size:
        im = im.resize(size, Image.BICUBIC)
    return im


def ppm(im):
    path = os.path.join(TMP, "src.ppm" if im.mode == "RGB" else "src.pgm")
    im.save(path)
    return path


def cjpeg(im, *args):
    return subprocess.run(["cjpeg", *args, ppm(im)], check=True, capture_output=True).stdout


def pillow(im, **kw):
    b = io.BytesIO()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


def magick(im, *args):
    src = os.path.join(TMP, "src.png")
    im.save(src)
    dst = os.path.join(TMP, "out.jpg")
    subprocess.run(["/usr/bin/convert", src, *args, dst], check=True)
    return open(dst, "rb").read()


def segments(data):
    """(marker, start, end) of each marker segment before the first SOS, end exclusive."""
    i, out = 2, []
    while i < len(data):
        assert data[i] == 0xFF
        m = data[i + 1]
        n = struct.unpack(">H", data[i + 2:i + 4])[0]
        out.append((m, i, i + 2 + n))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def strip(data, *markers):
    """Removes every pre-scan segment whose marker is listed."""
    out, last = bytearray(data[:2]), 2
    for m, a, b in segments(data):
        out += data[last:a]
        if m not in markers:
            out += data[a:b]
        last = b
    return bytes(out + data[last:])


def set_adobe_transform(data, transform):
    for m, a, b in segments(data):
        if m == 0xEE and data[a + 4:a + 9] == b"Adobe":
            d = bytearray(data)
            d[a + 4 + 11] = transform
            return bytes(d)
    raise ValueError("no Adobe segment")


def insert_app1(data, payload):
    seg = b"\xFF\xE1" + struct.pack(">H", len(payload) + 2) + payload
    return data[:2] + seg + data[2:]


def tiff_orientation(value, big_endian):
    e = ">" if big_endian else "<"
    head = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    # IFD0: two entries (ImageDescription offset junk first, then Orientation), next-IFD 0.
    ifd = struct.pack(e + "H", 2)
    ifd += struct.pack(e + "HHII", 0x010E, 2, 4, 0x41424300 if big_endian else 0x00434241)
    ifd += struct.pack(e + "HHIHH", 0x0112, 3, 1, value, 0)
    ifd += struct.pack(e + "I", 0)
    return b"Exif\0\0" + head + ifd


def truncate_scan_with_eoi(data, keep_fraction):
    """Cuts the entropy data of the (single) scan part-way and appends EOI: libjpeg pads with zeros."""
    sos = [s for s in segments(data) if s[0] == 0xDA][0]
    start = sos[2]
    end = data.rindex(b"\xFF\xD9")
    cut = start + int((end - start) * keep_fraction)
    while data[cut - 1] == 0xFF:
        cut -= 1
    return data[:cut] + b"\xFF\xD9"


def drop_restart_marker(data, which):
    """Deletes the `which`-th RSTn marker so the decoder must resynchronise."""
    sos = [s for s in segments(data) if s[0] == 0xDA][0]
    i, seen = sos[2], 0
    while True:
        i = data.index(b"\xFF", i)
        if 0xD0 <= data[i + 1] <= 0xD7:
            if seen == which:
                return data[:i] + data[i + 2:]
            seen += 1
        i += 2


# ---------------------------------------------------------------------------------------------------
cases = {}  # name -> (bytes, expected_orientation)
photo = source("chelsea.png", (150, 60, 211, 107))          # 61x47 RGB
face = source("astronaut.png", (180, 60, 244, 124))          # 64x64 RGB
grey = source("camera.png", (200, 100, 257, 141)).convert("L")  # 57x41

cases["p444"] = pillow(photo, quality=90, subsampling=0)
cases["p422"] = pillow(photo, quality=85, subsampling=1)
cases["p420"] = pillow(photo, quality=75, subsampling=2)
cases["p420_prog"] = pillow(photo, quality=80, subsampling=2, progressive=True)
cases["p444_prog_opt"] = pillow(face, quality=92, subsampling=0, progressive=True, optimize=True)
cases["c411"] = cjpeg(photo, "-quality", "85", "-sample", "4x1,1x1,1x1")
cases["c440"] = cjpeg(photo, "-quality", "85", "-sample", "1x2,1x1,1x1")
cases["c_chroma_max"] = cjpeg(photo, "-quality", "85", "-sample", "1x1,2x2,1x1")
cases["c311"] = cjpeg(photo, "-quality", "85", "-sample", "3x1,1x1,1x1")
cases["c22_21_11"] = cjpeg(face, "-quality", "85", "-sample", "2x2,2x1,1x1")
cases["c42_11"] = cjpeg(face, "-quality", "85", "-sample", "4x2,1x1,1x1")
cases["c22_12"] = cjpeg(face, "-quality", "85", "-sample", "2x2,1x2,1x2")
cases["c420_restart_rows"] = cjpeg(photo, "-quality", "80", "-restart", "1")
cases["c420_restart_3b"] = cjpeg(face, "-quality", "80", "-restart", "3B")
cases["c420_prog_restart"] = cjpeg(face, "-quality", "80", "-progressive", "-restart", "2B")

seq_scans = os.path.join(TMP, "seq.txt")
open(seq_scans, "w").write("0;\n2;\n1;\n")
cases["c444_seq_noninterleaved"] = cjpeg(face, "-quality", "90", "-sample", "1x1,1x1,1x1", "-scans", seq_scans)
cases["c420_seq_noninterleaved"] = cjpeg(photo, "-quality", "90", "-scans", seq_scans)

prog_scans = os.path.join(TMP, "prog.txt")
open(prog_scans, "w").write(
    "0: 0 0 0 2;\n"          # Y DC first, Al=2, non-interleaved
    "1 2: 0 0 0 1;\n"        # CbCr DC first interleaved
    "0: 1 9 0 3;\n"          # AC first with Al=3
    "0: 10 63 0 1;\n"
    "0: 0 0 2 1;\n"          # DC refine
    "1: 1 63 0 0;\n"
    "2: 1 20 0 1;\n"
    "2: 21 63 0 0;\n"
    "0: 1 9 3 2;\n"          # AC refine
    "0: 1 9 2 1;\n"
    "0: 0 0 1 0;\n"
    "1 2: 0 0 1 0;\n"
    "0: 1 9 1 0;\n"
    "0: 10 63 1 0;\n"
    "2: 1 20 1 0;\n")
cases["c420_prog_custom"] = cjpeg(photo, "-quality", "88", "-scans", prog_scans)
cases["c420_prog_custom_restart"] = cjpeg(face, "-quality", "70", "-scans", prog_scans, "-restart", "1B")

cases["grey"] = cjpeg(grey, "-quality", "85", "-grayscale")
cases["grey_prog"] = cjpeg(grey, "-quality", "85", "-grayscale", "-progressive")
cases["grey_pillow"] = pillow(grey, quality=70)
cases["rgb_adobe"] = cjpeg(photo, "-quality", "90", "-rgb")
cases["rgb_ids_only"] = strip(cases["rgb_adobe"], 0xEE, 0xE0)
cases["ycc_no_markers"] = strip(cases["p420"], 0xE0)
cases["ycck_magick"] = magick(face, "-colorspace", "CMYK", "-quality", "90")  # ImageMagick writes YCCK (Adobe transform 2)
cases["cmyk_pillow"] = pillow(face.convert("CMYK"), quality=90)  # Adobe transform 0
cases["cmyk_no_adobe"] = strip(cases["cmyk_pillow"], 0xEE)
cases["ycck_from_cmyk"] = set_adobe_transform(cases["cmyk_pillow"], 2)
cases["q16_tables"] = cjpeg(photo, "-quality", "3")
cases["no_dht_std_tables"] = strip(cjpeg(photo, "-quality", "80"), 0xC4)

for (w, h) in [(17, 13), (1, 1), (33, 7), (2, 2), (3, 3), (9, 1), (1, 9)]:
    small = photo.resize((w, h), Image.BICUBIC)
    cases[f"odd_{w}x{h}_420"] = pillow(small, quality=90, subsampling=2)
cases["odd_4x4_422"] = pillow(photo.resize((4, 4), Image.BICUBIC), quality=90, subsampling=1)
cases["odd_5x3_422"] = pillow(photo.resize((5, 3), Image.BICUBIC), quality=90, subsampling=1)
cases["odd_33x7_422_prog"] = pillow(photo.resize((33, 7), Image.BICUBIC), quality=90, subsampling=1, progressive=True)
cases["odd_17x13_440"] = cjpeg(photo.resize((17, 13), Image.BICUBIC), "-sample", "1x2,1x1,1x1")
cases["odd_17x13_411"] = cjpeg(photo.resize((17, 13), Image.BICUBIC), "-sample", "4x1,1x1,1x1")

cases["exif_le_6"] = pillow(photo, quality=80, exif=tiff_orientation(6, False))
cases["exif_be_8"] = insert_app1(cases["p444"], tiff_orientation(8, True))
cases["corrupt_eoi_mid_scan"] = truncate_scan_with_eoi(cases["p420"], 0.6)
cases["corrupt_missing_rst"] = drop_restart_marker(cases["c420_restart_3b"], 4)
cases["corrupt_eoi_mid_prog"] = truncate_scan_with_eoi(cjpeg(face, "-quality", "80", "-sample", "1x1,1x1,1x1"), 0.5)

orientation = {"exif_le_6": 6, "exif_be_8": 8}
draft_cases = ["p444", "p422", "p420", "p420_prog", "c411", "c440", "c_chroma_max", "c311", "c22_21_11", "c42_11", "c22_12",
               "grey", "ycck_magick", "cmyk_pillow", "odd_17x13_420", "odd_33x7_422_prog", "odd_17x13_440",
               "c420_prog_custom"]


def reference(label, data, scale):
    im = Image.open(io.BytesIO(data))
    if scale > 1:
        w, h = im.size
        im.draft(im.mode, (max(1, w // scale), max(1, h // scale)))
        if im.decoderconfig[0] != scale:  # Pillow picks a smaller scale for tiny images
            return None
    im.load()
    if label in orientation:
        assert im.getexif().get(0x0112) == orientation[label], label
    arr = np.asarray(im)
    raw = arr.tobytes()
    # Sub filter within each row (as PNG's filter type 1) before gzip: photos compress ~20% better.
    bpp = {"L": 1, "RGB": 3, "CMYK": 4}[im.mode]
    rows = np.frombuffer(raw, np.uint8).reshape(im.size[1], im.size[0] * bpp)
    sub = rows.copy()
    sub[:, bpp:] = rows[:, bpp:] - rows[:, :-bpp]
    ref = f"{label}.s{scale}.gz"
    with open(os.path.join(REF, ref), "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as g:
            g.write(sub.tobytes())
    return {"width": im.size[0], "height": im.size[1], "mode": im.mode, "scale": scale,
            "sha256": hashlib.sha256(raw).hexdigest(), "reference": "ref/" + ref}


manifest = {"pillow": Image.__version__, "libjpeg_turbo": features.version("libjpeg_turbo"),
            "encoding": "gzip of np.asarray(img) bytes, Sub-filtered per row: stored[i] = raw[i] - raw[i - bpp] mod 256",
            "entries": []}
for name in sorted(os.listdir(OUT)):
    if name.endswith(".jpg") and name[:-4] not in cases and not name.startswith("unsupported_"):
        os.remove(os.path.join(OUT, name))
for name, data in sorted(cases.items()):
    with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
        f.write(data)
    scales = [1, 2, 4, 8] if name in draft_cases else [1]
    for s in scales:
        e = reference(name, data, s)
        if e is None:
            continue
        e["file"] = name + ".jpg"
        e["orientation"] = orientation.get(name, 1)
        manifest["entries"].append(e)

for name in sorted(os.listdir(FIXTURES)):
    if not name.endswith(".jpg"):
        continue
    data = open(os.path.join(FIXTURES, name), "rb").read()
    for s in [1, 2, 4, 8]:
        e = reference("fixture_" + name[:-4], data, s)
        if e is None:
            continue
        e["fixture"] = name
        e["orientation"] = 1
        manifest["entries"].append(e)

# Files the decoder must refuse with NotSupportedException (Pillow's libjpeg-turbo decodes this one, but
# arithmetic coding is outside this decoder's scope). No reference pixels.
with open(os.path.join(OUT, "unsupported_arithmetic.jpg"), "wb") as f:
    f.write(cjpeg(photo.resize((16, 16), Image.BICUBIC), "-arithmetic"))

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
print(f"{len(manifest['entries'])} reference decodes written to {OUT}")
