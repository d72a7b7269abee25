#!/usr/bin/env python3
"""Marks one version requirement (a Vernaux entry) of an ELF64 shared object weak (VER_FLG_WEAK), in place:
the dynamic loader then warns instead of refusing when the named library lacks that version."""
import struct, sys
path, version = sys.argv[1], sys.argv[2].encode()
data = bytearray(open(path, "rb").read())
assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "ELF64 little-endian only"
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
SHT_GNU_verneed = 0x6ffffffe
done = 0
for name, stype, flags, addr, off, size, link, info, align, entsize in sections:
    if stype != SHT_GNU_verneed:
        continue
    strtab_off = sections[link][4]
    def cstr(o):
        end = data.index(b"\0", strtab_off + o)
        return bytes(data[strtab_off + o:end])
    vn = off
    for _ in range(info):
        vn_version, vn_cnt, vn_file, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
        aux = vn + vn_aux
        for _ in range(vn_cnt):
            vna_hash, vna_flags, vna_other, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
            if cstr(vna_name) == version:
                struct.pack_into("<H", data, aux + 4, vna_flags | 0x2)
                done += 1
            aux += vna_next
        if not vn_next:
            break
        vn += vn_next
if not done:
    sys.exit(f"{path}: no requirement of {version.decode()}")
open(path, "wb").write(data)
print(f"{path}: {version.decode()} requirement marked weak ({done})")
