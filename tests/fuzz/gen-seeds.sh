#!/usr/bin/env bash
# Regenerate the hand-built seed corpora in tests/fuzz/corpus/<harness>/ (make fuzz-seeds):
# gen_seeds writes MM buffers, RPMB sequences and requests, IPC messages and FV stores;
# efitools signs a PK, KEK and db enrolment (the committed test keys of fixtures/keys)
# for fuzz_auth and for authenticated SetVariable seeds of fuzz_mm; OVMF's 2 MiB build's
# VARS file (ovmf package, 128 KiB) is the one foreign store.  Seeds found by fuzzing and
# merged with `make fuzz-merge` are kept: files are only added.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
keys=fixtures/keys
out=tests/fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

owner=12345678-1234-5678-9abc-def001020304
ts="2025-01-01 00:00:00"
for k in PK KEK db; do
	cert-to-efi-sig-list -g "$owner" "$keys/$k.crt" "$tmp/$k.esl" >/dev/null
done
# PK and KEK signed by PK, db by KEK: what a Secure Boot enrolment sends in order.
sign-efi-sig-list -t "$ts" -k "$keys/PK.key" -c "$keys/PK.crt" PK "$tmp/PK.esl" "$tmp/PK.auth" >/dev/null
sign-efi-sig-list -t "$ts" -k "$keys/PK.key" -c "$keys/PK.crt" KEK "$tmp/KEK.esl" "$tmp/KEK.auth" >/dev/null
sign-efi-sig-list -t "$ts" -k "$keys/KEK.key" -c "$keys/KEK.crt" db "$tmp/db.esl" "$tmp/db.auth" >/dev/null
# An empty PK write signed by PK: leaving user mode.
: >"$tmp/empty.esl"
sign-efi-sig-list -t "2025-01-02 00:00:00" -k "$keys/PK.key" -c "$keys/PK.crt" PK "$tmp/empty.esl" "$tmp/PKdel.auth" >/dev/null

"$BUILD/fuzz/gen_seeds" "$out" PK="$tmp/PK.auth" KEK="$tmp/KEK.auth" db="$tmp/db.auth" \
	PK="$tmp/PKdel.auth"
"$BUILD/fuzz/gen_msg_seeds" "$out" # the dispatch harnesses (fuzz_*_msg)
for f in "$tmp"/*.esl; do
	[ -s "$f" ] && cp "$f" "$out/auth/$(sha1sum "$f" | cut -c1-40)"
done
vars=/usr/share/OVMF/OVMF_VARS.fd
[ -f "$vars" ] && cp "$vars" "$out/fv/$(sha1sum "$vars" | cut -c1-40)"
du -sh "$out"
