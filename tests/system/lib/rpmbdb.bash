# SPDX-License-Identifier: MIT
# Shared by the system tests that look into or damage rpmbd's database directly (sourced
# after stack.bash): DB (STATE/rpmb.db); record_offset NAME; flip OFFSET XORHEX (the bytes
# change under the device: its checksum no longer matches); flip_sealed OFFSET XORHEX (the
# checksum is recomputed, as if a buggy writer had written the block through the device).
DB=$STATE/rpmb.db

# Byte offset (in the store region, = in RPMB) of the record header of variable $1 (ASCII).
record_offset() {
	local hex
	hex=$(sqlite3 "$DB" "SELECT hex(data) FROM blocks WHERE address < 64 ORDER BY address;" | tr -d '\n')
	python3 - "$1" "$hex" <<'PY'
import sys
name, img = sys.argv[1], bytes.fromhex(sys.argv[2])
needle = name.encode("utf-16-le") + b"\0\0"
off = 100
while off + 60 <= len(img) and img[off:off + 2] == b"\xaa\x55":
    ns = int.from_bytes(img[off + 36:off + 40], "little")
    ds = int.from_bytes(img[off + 40:off + 44], "little")
    if img[off + 2] == 0x3f and img[off + 60:off + 60 + ns] == needle:
        print(off)
        sys.exit(0)
    off = (off + 60 + ns + ds + 3) & ~3
sys.exit("record of %s not found" % name)
PY
}

# XOR the byte at region offset $1 with $2 (hex), stack stopped.
flip() {
	local addr=$(($1 / 256)) pos=$(($1 % 256)) hex new
	hex=$(sqlite3 "$DB" "SELECT hex(data) FROM blocks WHERE address = $addr;")
	[[ ${#hex} == 512 ]] || fail "block $addr not in rpmb.db"
	new=$(python3 -c 'import sys; b = bytearray.fromhex(sys.argv[1]); b[int(sys.argv[2])] ^= int(sys.argv[3], 16); print(b.hex())' "$hex" "$pos" "$2")
	sqlite3 "$DB" "UPDATE blocks SET data = x'$new' WHERE address = $addr;"
}

# The same, with rpmbd's per-block checksum (SHA-256 of be16 address || data) recomputed.
flip_sealed() {
	flip "$@"
	local addr=$(($1 / 256)) sum
	sum=$(sqlite3 "$DB" "SELECT hex(data) FROM blocks WHERE address = $addr;" |
		python3 -c 'import hashlib, sys; a = int(sys.argv[1]); d = bytes.fromhex(sys.stdin.read().strip()); print(hashlib.sha256(a.to_bytes(2, "big") + d).hexdigest())' "$addr")
	sqlite3 "$DB" "UPDATE blocks SET checksum = x'$sum' WHERE address = $addr;"
}
