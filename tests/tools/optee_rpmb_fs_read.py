#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reader of OP-TEE's RPMB file system, for tests.

Written from optee_os's definitions (tee_rpmb_fs.c: partition header in block 0, FAT of
256-byte entries from byte 512; tee_fs_key_manager.c / huk_subkey.c: SSK = HMAC-SHA256(HUK,
LE32 1), TSK = HMAC-SHA256(SSK, TA UUID as in memory), FEK = AES-256-ECB-decrypt(TSK, the
entry's fek), each 256-byte data block AES-128-CBC with IV = AES-128-ECB(SHA-256(FEK)[:16],
LE16 block index || 14 zero bytes)), separately from lib/optee_fs_crypto.c and
lib/optee_rpmb_image.c: Python's hashlib/hmac and the openssl CLI for AES.

usage: optee_rpmb_fs_read.py IMAGE NAME OUT [HUK_HEX]
Writes the decrypted file NAME ("/UUIDHEX/OBJHEX") to OUT; prints its FAT entry.
"""
import hashlib
import hmac
import struct
import subprocess
import sys


def fail(msg):
    print(f"optee_rpmb_fs_read: {msg}", file=sys.stderr)
    sys.exit(1)


def aes(mode, key, data, iv=None, decrypt=False):
    cmd = ["openssl", "enc", f"-{mode}", "-nopad", "-K", key.hex()]
    if iv is not None:
        cmd += ["-iv", iv.hex()]
    if decrypt:
        cmd.append("-d")
    return subprocess.run(cmd, input=data, capture_output=True, check=True).stdout


def main():
    img = open(sys.argv[1], "rb").read()
    name, out = sys.argv[2], sys.argv[3]
    huk = bytes.fromhex(sys.argv[4]) if len(sys.argv) > 4 else bytes(16)
    magic, version, _counter, fat = struct.unpack_from("<IIII", img, 0)
    if magic != 0x52504D42 or version != 2:
        fail(f"block 0: magic {magic:#x} version {version}: not an RPMB FS")
    addr = fat
    while True:
        start, size, flags = struct.unpack_from("<III", img, addr)
        fek_enc = img[addr + 16:addr + 32]
        fname = img[addr + 32:addr + 256].split(b"\0")[0].decode()
        if flags & 2:
            fail(f"no active file {name}")
        if flags & 1 and fname == name:
            break
        addr += 256
    uuid = bytes.fromhex(name[1:33])
    ssk = hmac.new(huk, struct.pack("<I", 1), hashlib.sha256).digest()
    tsk = hmac.new(ssk, uuid, hashlib.sha256).digest()
    fek = aes("aes-256-ecb", tsk, fek_enc, decrypt=True)
    essiv_key = hashlib.sha256(fek).digest()[:16]
    plain = bytearray()
    for i in range((size + 255) // 256):
        blk = start // 256 + i
        iv = aes("aes-128-ecb", essiv_key, struct.pack("<H", blk) + bytes(14))
        plain += aes("aes-128-cbc", fek, img[blk * 256:(blk + 1) * 256], iv=iv, decrypt=True)
    open(out, "wb").write(bytes(plain[:size]))
    print(f"FAT entry at byte {addr}: {name}, {size} bytes at byte {start}")


if __name__ == "__main__":
    main()
