#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The README's examples as a user runs them (issue 15 #7, #9 and the doc test): every
# ```sh block preceded by a `<!-- runnable: tests/system/readme_examples.sh -->` line is
# extracted and run with bash -euo pipefail in a fresh directory and a fresh state, with
# the build on PATH (`build/` becomes $BUILD/, /tmp/ the test's own directory); jobs it
# started in the background are killed after it.  Blocks not marked are not run: `make
# run`/`make check` (minutes; CI runs them anyway) and examples that need hardware or a
# long-running stack of their own.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=10000
ROOT=$PWD
for tool in mmc cert-to-efi-sig-list sign-efi-sig-list xxd; do
	if ! command -v "$tool" >/dev/null; then
		[[ -n ${CI:-} ]] && fail "$tool missing (.ci/install-deps installs it)"
		echo "SKIP: no $tool"
		exit 0
	fi
done

python3 - "$ROOT/README.md" "$WORK" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read().split("\n")
n = 0
i = 0
while i < len(text):
    if text[i].startswith("<!-- runnable:") and i + 1 < len(text) and text[i + 1] == "```sh":
        j = i + 2
        body = []
        while text[j] != "```":
            body.append(text[j]); j += 1
        n += 1
        with open(f"{sys.argv[2]}/block{n}.sh", "w") as f:
            f.write(f"# README.md line {i + 2}\n" + "\n".join(body) + "\n")
        i = j
    i += 1

PY

source "$(dirname "$0")/lib/shim.bash"
shim_preload "$ROOT/$BUILD/librpmb-shim.so"
blocks=("$WORK"/block*.sh)
((${#blocks[@]} >= 2)) || fail "fewer than 2 runnable blocks found in README.md"
for b in "${blocks[@]}"; do
	name=$(basename "$b" .sh)
	dir=$WORK/$name.d
	mkdir -p "$dir/tmp"
	ln -s "$ROOT/fixtures" "$dir/fixtures"
	# An ASan-built shim needs the ASan runtime first (tests/system/lib/shim.bash).
	# The README's own paths only: /tmp/ and a `build/` that starts a word, through
	# placeholders, so that the paths put in (a checkout under /tmp, BUILD=build) are never
	# rewritten again.
	sed -e "s|/tmp/|$dir/tmp/|g" \
		-e "s|LD_PRELOAD=build/librpmb-shim.so|LD_PRELOAD=@PRELOAD@ ASAN_OPTIONS='$MMC_ASAN_OPTIONS'|g" \
		-e 's#\(^\|[[:space:]=]\)build/#\1@BUILDDIR@/#g' \
		-e "s|@PRELOAD@|'$PRELOAD'|g" -e "s|@BUILDDIR@|$ROOT/$BUILD|g" "$b" >"$dir/run.sh"
	STATES+=("$dir/state")
	rc=0
	(cd "$dir" && PATH=$ROOT/$BUILD:$PATH STMM_EMU_STATE=$dir/state \
		timeout 120 bash -euo pipefail -c 'trap "kill \$(jobs -p) 2>/dev/null || true" EXIT; source ./run.sh') \
		>"$dir/out" 2>&1 || rc=$?
	[[ $rc == 0 ]] || fail "$(head -1 "$b"): exit $rc: $(tail -15 "$dir/out")"
	ok "$(head -1 "$b" | sed 's/^# //'): ran ($(($(wc -l <"$b") - 1)) lines)"
done
# 9: the shim block programs the key before reading the counter.
grep -q "Counter value: 0x" "$WORK/block1.d/out" || fail "9: shim block: $(cat "$WORK/block1.d/out")"
# 7: the Secure Boot block's owner GUID is never all zero.
for esl in "$WORK"/block2.d/*.esl; do
	[[ -s $esl ]] || continue
	owner=$(xxd -p -s 28 -l 16 "$esl")
	[[ $owner != 00000000000000000000000000000000 ]] || fail "7: $(basename "$esl"): all-zero owner GUID"
done
grep -q "secure boot: *user mode" "$WORK/block2.d/out" || fail "7: secure boot block: $(tail -5 "$WORK/block2.d/out")"
ok "7, 9: the shim block reads the counter after write-key; the Secure Boot ESLs have a real owner GUID"
# 7: an ESL made with an empty owner GUID is no longer silent: var set warns.
K=$ROOT/fixtures/keys
cert-to-efi-sig-list -g "" "$K/PK.crt" "$WORK/zero.esl" >/dev/null 2>&1 || true
[[ $(xxd -p -s 28 -l 16 "$WORK/zero.esl") == 00000000000000000000000000000000 ]] ||
	fail "7: cert-to-efi-sig-list -g '' no longer writes a zero owner; check the premise"
sign-efi-sig-list -t "2025-01-01 00:00:00" -k "$K/PK.key" -c "$K/PK.crt" PK "$WORK/zero.esl" "$WORK/zero.auth" >/dev/null
S7=$WORK/s7
STATES+=("$S7")
"$ROOT/$BUILD/stmm-emu" up -q --state "$S7" || fail "7: up"
"$ROOT/$BUILD/stmm-emu" var set --state "$S7" PK --attrs nv,bs,rt,at --data-file "$WORK/zero.auth" 2>"$WORK/err" || fail "7: var set PK"
grep -q "warning: 1 signature with an all-zero owner GUID" "$WORK/err" || fail "7: no warning: $(cat "$WORK/err")"
"$ROOT/$BUILD/stmm-emu" down -q --state "$S7"
ok "7: var set of a signature list with an all-zero owner GUID warns"
all_passed
