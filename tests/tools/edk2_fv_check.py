#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reader of an EDK2 variable firmware volume, for tests.

Written from the published layouts (PI spec EFI_FIRMWARE_VOLUME_HEADER, edk2
VariableFormat.h), separately from stmm/mm/fv.c, so that a test checks our on-RPMB bytes
against a second implementation.  Prints one line per live variable:
    <guid> <name> <attributes hex> <data hex>
and exits non-zero with a reason when the image is not a valid variable FV.
"""
import struct
import sys
import uuid

SYSTEM_NV_DATA_FV = uuid.UUID("fff12b8d-7696-4c8b-a985-2747075b4f50")
AUTH_VARIABLE_STORE = uuid.UUID("aaf32c78-947b-439a-a180-2e144ec37792")
VAR_ADDED, VAR_DELETED, VAR_IN_DELETED_TRANSITION = 0x3F, 0xFD, 0xFE


def fail(msg):
    print(f"edk2_fv_check: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    img = open(sys.argv[1], "rb").read()
    if len(img) < 72 + 28:
        fail("image too short")
    fs_guid = uuid.UUID(bytes_le=img[16:32])
    fv_length, sig, attrs, hlen, csum, _ext, _res, rev = struct.unpack_from("<QIIHHHBB", img, 32)
    if fs_guid != SYSTEM_NV_DATA_FV:
        fail(f"FileSystemGuid {fs_guid}")
    if sig != 0x4856465F:
        fail("no _FVH signature")
    if rev != 2:
        fail(f"revision {rev}")
    if sum(struct.unpack_from(f"<{hlen // 2}H", img, 0)) & 0xFFFF:
        fail("FV header checksum does not sum to 0")
    nblocks, blen = struct.unpack_from("<II", img, 56)
    if nblocks * blen != fv_length or struct.unpack_from("<II", img, 64) != (0, 0):
        fail("block map does not describe FvLength")
    store = hlen
    sguid = uuid.UUID(bytes_le=img[store:store + 16])
    ssize, fmt, state = struct.unpack_from("<IBB", img, store + 16)
    if sguid != AUTH_VARIABLE_STORE or fmt != 0x5A or state != 0xFE:
        fail("variable store header")
    end = store + ssize
    off = store + 28
    live = {}
    while off + 60 <= end:
        (start_id, vstate, _r, vattrs, _mc) = struct.unpack_from("<HBBIQ", img, off)
        if start_id != 0x55AA:
            break
        name_size, data_size = struct.unpack_from("<II", img, off + 36)
        vguid = uuid.UUID(bytes_le=img[off + 44:off + 60])
        name_off = off + 60
        if name_off + name_size + data_size > end:
            fail(f"record at {off:#x} runs past the store")
        name = img[name_off:name_off + name_size].decode("utf-16-le").rstrip("\0")
        data = img[name_off + name_size:name_off + name_size + data_size]
        key = (str(vguid), name)
        if vstate == VAR_ADDED:
            live[key] = (vattrs, data)
        elif vstate == (VAR_ADDED & VAR_IN_DELETED_TRANSITION) and key not in live:
            live.setdefault(key, (vattrs, data))
        off = (name_off + name_size + data_size + 3) & ~3
    for (g, n), (a, d) in sorted(live.items()):
        print(g, n, f"{a:#x}", d.hex())


main()
