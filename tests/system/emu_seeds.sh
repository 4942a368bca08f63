#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# stmm-emu seeds (emu/seeds.h): per-layer seed corpora harvested from traces.
#   - usage errors: no --out, an unknown layer, a file that is not a trace: exit 2, a clear
#     message
#   - `seeds --out DIR --scenarios (three of the shipped ones) --group auth` (scenarios +
#     conform's auth group, all traced) gives a non-empty corpus for every layer, each file named by the sha1 of its
#     content, a <layer>.dict and a <layer>.manifest with one line per file
#   - each input is in its harness's format (checked on the bytes: MM header GUID, IPC
#     header length, the AUTHENTICATION_2 cert type, ...), and every input of each layer
#     goes through its harness's replay driver (build/fuzz/replay_<h>), which answers all
#   - the mm corpus goes through the real daemons with `stmm-emu raw`, one invoke per file:
#     every one is answered (exit 0, an MM return code), the daemons are alive afterwards
#   - that stack's own trace, harvested with --from --layer mm --max-per-kind 0, holds every
#     input that was sent, under the same name (the MM buffer is recorded byte for byte);
#     harvesting it twice adds nothing; a truncated trace gives a warning and what came before
# system-check: long
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
source "$(dirname "$0")/lib/wait.bash"
export STMM_EMU_TIMEOUT_MS=10000

OUT=$WORK/corpora
# layer -> harness replay driver (tests/fuzz/fuzz_<h>.c).  pta and mmc have fuzz_ipc's framing,
# whose dispatch (rpmbd's) answers them with an error: that reply must still be well-formed.
declare -A HARNESS=([mm]=mm [pta]=ipc [rpc]=supp_rpc [rpmb]=rpmb_seq [mmc]=ipc [ipc]=ipc
	[auth]=auth [fv]=fv)
for h in "${HARNESS[@]}"; do
	[[ -x $BUILD/fuzz/replay_$h ]] ||
		fail "$BUILD/fuzz/replay_$h missing (make BUILD=$BUILD system-check builds it)"
done

# --- usage errors -----------------------------------------------------------------------------
rc=0; err=$("$EMU" seeds 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 && $err == *"--out DIR is required"* ]] || fail "no --out: exit $rc: $err"
rc=0; err=$("$EMU" seeds --out "$WORK/x" --layer mm,bogus 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 && $err == *"unknown layer 'bogus'"* ]] || fail "--layer bogus: exit $rc: $err"
echo "not a trace" >"$WORK/junk.bin"
rc=0; err=$("$EMU" seeds --out "$WORK/x" --from "$WORK/junk.bin" 2>&1 >/dev/null) || rc=$?
[[ $rc == 2 && $err == *"junk.bin"* ]] || fail "--from a non-trace: exit $rc: $err"
ok "usage errors exit 2 with a clear message"

# --- harvest from scenarios and conform's auth group ------------------------------------------
# Three quick scenarios of fixtures/scenarios (S5 is the one with single eMMC commands, S8
# has both client personas) and one conform group keep this under a minute; the full run
# (every scenario, every group) is the same code with more traces.
mkdir -p "$WORK/scen"
for s in s2-lost-response-after-commit s5-rpmb-interleaved-with-os-io s8-uboot-and-linux-share-stmm; do
	cp "$(dirname "$0")/../../fixtures/scenarios/$s.scen" "$WORK/scen/"
done
t0=$SECONDS
"$EMU" seeds --out "$OUT" --scenarios "$WORK/scen" --group auth --max-per-kind 1 >"$WORK/summary" 2>"$WORK/progress" ||
	{ cat "$WORK/progress" >&2; fail "seeds --out --group auth: exit $?"; }
cat "$WORK/summary"
for l in "${!HARNESS[@]}"; do
	n=$(find "$OUT/$l" -type f | wc -l)
	((n > 0)) || fail "layer $l: no inputs"
	[[ -s $OUT/$l.dict ]] || fail "layer $l: no $l.dict"
	lines=$(grep -vc '^#' "$OUT/$l.manifest")
	[[ $lines == "$n" ]] || fail "layer $l: $n files, $lines manifest lines"
	grep -Eq "^$l +$n +[0-9]+ +[0-9]+ " "$WORK/summary" || fail "layer $l: summary does not say $n files"
	for f in "$OUT/$l"/*; do
		[[ $(sha1sum "$f" | cut -c1-40) == "$(basename "$f")" ]] || fail "$f: name is not its sha1"
	done
done
grep -q 'scenario s8-uboot-and-linux-share-stmm.scen record' "$OUT/mm.manifest" ||
	fail "mm.manifest does not name the scenario that produced an input"
grep -q 'SET_VARIABLE' "$OUT/mm.manifest" || fail "mm.manifest does not describe SetVariable calls"
ok "every layer has inputs, sha1 names, a dict and a manifest line per file ($((SECONDS - t0)) s)"

# --- each input in its harness's format ----------------------------------------------------------
python3 - "$OUT" <<'EOF' || fail "an input is not in its harness's format"
import os, struct, sys
out = sys.argv[1]
SMM_VARIABLE_GUID = bytes.fromhex("33d532ede69909429cc02d72cdd998a7")
PKCS7_GUID = bytes.fromhex("9dd2af4adf68ee498aa9347d375665a7")
def files(l):
    for n in sorted(os.listdir(os.path.join(out, l))):
        yield n, open(os.path.join(out, l, n), "rb").read()
def need(ok, l, n, why):
    if not ok:
        sys.exit(f"{l}/{n}: {why}")
for n, b in files("mm"):  # EFI_MM_COMMUNICATE_HEADER: GUID, MessageLength
    need(len(b) >= 24 and b[:16] == SMM_VARIABLE_GUID, "mm", n, "no SMM_VARIABLE_GUID header")
    need(struct.unpack_from("<Q", b, 16)[0] <= len(b) - 24, "mm", n, "MessageLength past the buffer")
for l, types in (("ipc", None), ("mmc", {0x0105}), ("pta", {0x0209})):
    for n, b in files(l):  # emu_msg_hdr: magic "SEMU", version 1, type, req_id, length
        magic, ver, typ, _, length = struct.unpack_from("<IHHII", b)
        need(magic == 0x554D4553 and ver == 1, l, n, "not an emu_msg_hdr")
        need(length == len(b) - 16, l, n, f"length {length} != {len(b) - 16}")
        need(types is None or typ in types, l, n, f"type 0x{typ:04x}")
        need(l != "ipc" or typ >> 8 in (0x01, 0x04), l, n, f"rpmbd does not take 0x{typ:04x}")
for n, b in files("rpc"):  # u16 LE out size, struct rpmb_req {u16 cmd, dev_id, block_count}
    need(len(b) >= 8 and struct.unpack_from("<H", b, 2)[0] in (0, 1), "rpc", n, "not an rpmb_req")
    need((len(b) - 8) % 512 == 0, "rpc", n, "frames not whole")
for n, b in files("rpmb"):  # flags, struct emu_mmc_seq {num_cmds, reserved}, commands
    need(b[0] in (0, 1) and 1 <= struct.unpack_from("<I", b, 1)[0] <= 16, "rpmb", n, "not a sequence")
# EFI_TIME, WIN_CERTIFICATE_UEFI_GUID {len, rev, type, CertType}.  conform's auth group also
# sends malformed descriptors on purpose (they are seeds too): the signed ones must be there.
signed = [n for n, b in files("auth") if len(b) >= 40 and b[24:40] == PKCS7_GUID and
          struct.unpack_from("<HH", b, 20) == (0x0200, 0x0EF1)]
need(len(signed) >= 1, "auth", "*", "no EFI_VARIABLE_AUTHENTICATION_2 with a PKCS#7 certificate")
for n, b in files("fv"):  # EFI_FIRMWARE_VOLUME_HEADER.Signature at 40
    need(b[40:44] == b"_FVH", "fv", n, "no _FVH signature")
EOF
ok "every input is in its harness's format"

# --- every input through its harness's replay driver --------------------------------------------
for l in "${!HARNESS[@]}"; do
	n=$(find "$OUT/$l" -type f | wc -l)
	res=$("$BUILD/fuzz/replay_${HARNESS[$l]}" "$OUT/$l" 2>&1) || fail "replay_${HARNESS[$l]} $l: $res"
	[[ $res == *": $n passed, 0 failed"* ]] || fail "replay_${HARNESS[$l]} $l: $res (want $n passed)"
done
ok "every input of every layer answered by its harness's replay driver ($((SECONDS - t0)) s)"

# --- the mm corpus through the real daemons -------------------------------------------------------
"$EMU" up -q --trace || fail "up --trace"
pids=$(for d in rpmbd stmmd supplicantd; do pid_of $d; done)
n=0
for f in "$OUT/mm"/*; do
	rc=0; res=$("$EMU" raw --file "$f" --json 2>&1) || rc=$?
	[[ $rc == 0 ]] || fail "raw $(basename "$f"): exit $rc (transport failure): $res"
	json_ok '"mm_code" in d and "tee_ret" in d' <<<"$res" || fail "raw $(basename "$f"): no answer: $res"
	n=$((n + 1))
done
for p in $pids; do kill -0 "$p" 2>/dev/null || fail "a daemon (pid $p) died during the mm corpus"; done
"$EMU" var set SeedsAfter --string alive >/dev/null || fail "the stack no longer answers a SetVariable"
"$EMU" down --quiet
ok "$n mm inputs answered by the real daemons through stmm-emu raw; daemons alive ($((SECONDS - t0)) s)"

# --- the raw run's own trace gives the same inputs back ---------------------------------------------
"$EMU" seeds --out "$WORK/again" --from "$STATE/trace.bin" --layer mm --max-per-kind 0 >"$WORK/s2" ||
	fail "seeds --from trace.bin"
for f in "$OUT/mm"/*; do
	[[ -f $WORK/again/mm/$(basename "$f") ]] || fail "mm input $(basename "$f") sent but not harvested back"
done
[[ ! -e $WORK/again/ipc ]] || fail "--layer mm wrote other layers"
before=$(find "$WORK/again/mm" -type f | wc -l)
"$EMU" seeds --out "$WORK/again" --from "$STATE/trace.bin" --from "$STATE/trace.bin" --layer mm \
	--max-per-kind 0 >/dev/null || fail "seeds --from twice"
after=$(find "$WORK/again/mm" -type f | wc -l)
[[ $before == "$after" ]] || fail "harvesting the same trace again: $before -> $after files"
grep -Eq "^mm +$before " "$WORK/s2" || fail "summary of --from: $(cat "$WORK/s2")"
ok "every mm input sent comes back from the trace under its name; deduplicated ($before files)"

# --- a trace cut short (a daemon killed mid-write) keeps what came before ------------------------
size=$(stat -c %s "$STATE/trace.bin")
head -c $((size - 100)) "$STATE/trace.bin" >"$WORK/cut.bin"
rc=0; "$EMU" seeds --out "$WORK/cut" --from "$WORK/cut.bin" --layer mm --max-per-kind 0 \
	>/dev/null 2>"$WORK/cut.err" || rc=$?
[[ $rc == 0 ]] || fail "seeds --from a truncated trace: exit $rc: $(cat "$WORK/cut.err")"
grep -q "cut.bin: .*truncated.*(kept the [0-9]* records before)" "$WORK/cut.err" ||
	fail "no warning for the truncated trace: $(cat "$WORK/cut.err")"
cut_n=$(find "$WORK/cut/mm" -type f | wc -l)
((cut_n > 0 && cut_n <= before)) || fail "truncated trace: $cut_n mm inputs (whole trace $before)"
ok "a truncated trace: a warning, exit 0, the $cut_n mm inputs before the cut"

all_passed
