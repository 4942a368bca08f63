#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# system-check: long
#
# The README's examples as a user runs them (issue 15: "every README example is run by a
# test").  Every ```sh block of README.md must be preceded by one of
#
#   <!-- runnable: tests/system/readme_examples.sh id=NAME [errexit=off] [needs=root,fuse] [kind=scenario] -->
#   <!-- not-run: REASON -->
#
# (a ```sh block with neither fails this test, so a new example cannot be forgotten).  A
# runnable block is run with bash -uo pipefail (and -e unless errexit=off) in a fresh
# directory of its own: cwd = that directory, its default state ./.stmm-emu
# (STMM_EMU_STATE), TMPDIR inside it, `build` and `fixtures` links to this checkout's build
# and fixtures, the build on PATH; the README's /tmp/ becomes the directory's tmp/.  Lines
# starting with `make` run in this checkout (`make -C ROOT BUILD=$BUILD ...`, which must
# find the build up to date: this test never rebuilds), except `make check`, the command
# that runs this very test.  kind=scenario: a plain ``` block that is a scenario file, run
# by `stmm-emu scenario`.  Each block is bounded by `timeout 240`; jobs it started in the
# background are killed after it.  Then the blocks' outputs are checked for what the
# README's comments promise.
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=10000
ROOT=$PWD
for tool in mmc cert-to-efi-sig-list sign-efi-sig-list xxd jq; do
	if ! command -v "$tool" >/dev/null; then
		[[ -n ${CI:-} ]] && fail "$tool missing (.ci/install-deps installs it)"
		echo "SKIP: no $tool"
		exit 0
	fi
done

# Extract: $WORK/manifest has "id kind errexit needs line" per runnable block, the block in
# $WORK/blocks/ID; not-run blocks are listed with their reason.
mkdir -p "$WORK/blocks"
python3 - "$ROOT/README.md" "$WORK" <<'PY' || fail "README.md: $(cat "$WORK/extract.err")"
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
work = sys.argv[2]
errors, manifest, notrun, ids = [], [], [], set()
marker = re.compile(r"^<!-- runnable: tests/system/readme_examples\.sh((?: [a-z]+=[^ ]+)*) -->$")
i = 0
while i < len(lines):
    fence = lines[i]
    if fence.startswith("```") and fence != "```" or fence == "```":
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        body = lines[i + 1:j]
        prev = lines[i - 1] if i > 0 else ""
        m = marker.match(prev)
        if m:
            opts = dict(o.split("=", 1) for o in m.group(1).split())
            bid = opts.get("id")
            kind = opts.get("kind", "sh")
            if not bid or bid in ids:
                errors.append(f"line {i}: marker without a unique id=")
            elif (kind == "sh") != (fence == "```sh"):
                errors.append(f"line {i}: kind={kind} on a {fence} block")
            else:
                ids.add(bid)
                with open(f"{work}/blocks/{bid}", "w") as f:
                    f.write("\n".join(body) + "\n")
                manifest.append(f"{bid} {kind} {opts.get('errexit', 'on')} {opts.get('needs', '-')} {i + 1}")
        elif prev.startswith("<!-- not-run: ") and prev.endswith(" -->") and len(prev) > 24:
            notrun.append(f"README.md line {i + 1}: {prev[14:-4]}")
        elif fence == "```sh":
            errors.append(f"line {i + 1}: a ```sh block with neither a runnable nor a not-run marker")
        i = j
    i += 1
open(f"{work}/manifest", "w").write("\n".join(manifest) + "\n")
open(f"{work}/notrun", "w").write("\n".join(notrun) + ("\n" if notrun else ""))
if errors:
    open(f"{work}/extract.err", "w").write("; ".join(errors))
    sys.exit(1)
PY
nrun=$(grep -c . "$WORK/manifest")
((nrun >= 15)) || fail "only $nrun runnable blocks found in README.md"
ok "README.md: every \`\`\`sh block is marked; $nrun runnable, $(grep -c . "$WORK/notrun" || true) not run"
while read -r l; do echo "  not run: $l"; done <"$WORK/notrun"

source "$(dirname "$0")/lib/shim.bash"
shim_preload "$ROOT/$BUILD/librpmb-shim.so"
ASAN_RT=${PRELOAD% *}
[[ $ASAN_RT == "$PRELOAD" ]] && ASAN_RT=
SAN=0
nm -D --undefined-only "$ROOT/$BUILD/stmm-emu" | grep -q __asan_init && SAN=1
make -C "$ROOT" -q BUILD="$BUILD" SANITIZE=$SAN all >/dev/null 2>&1 ||
	fail "$BUILD is not up to date (make BUILD=$BUILD SANITIZE=$SAN all): this test runs the README's make lines but never rebuilds"

run_block() { # ID KIND ERREXIT NEEDS LINE
	local id=$1 kind=$2 errexit=$3 needs=$4 line=$5 dir=$WORK/$1 rc=0 flags=-uo
	mkdir -p "$dir/tmp"
	ln -s "$ROOT/fixtures" "$dir/fixtures"
	ln -s "$ROOT/$BUILD" "$dir/build"
	STATES+=("$dir/.stmm-emu")
	if [[ $needs == *root* && $(id -u) != 0 ]] || [[ $needs == *fuse* && ! -c /dev/fuse ]]; then
		[[ -n ${CI:-} ]] && fail "README.md line $line ($id) needs $needs here"
		echo "SKIP: README.md line $line ($id): needs $needs"
		return 0
	fi
	if [[ $kind == scenario ]]; then
		cp "$WORK/blocks/$id" "$dir/example.scen"
		printf 'stmm-emu scenario example.scen\n' >"$dir/run.sh"
	else
		# The README's own text is rewritten first, with placeholders for what is put in,
		# and the placeholders filled in last, so that nothing put in (a checkout or a
		# build directory under /tmp, BUILD=build) is ever rewritten again: the README's
		# /tmp/; make lines run in this checkout (make check: the command running this
		# test); LD_PRELOAD of a shim: an ASan-built shim needs its runtime first.
		sed -e 's|/tmp/|@DIR@/tmp/|g' \
			-e 's/^make check\b.*/: make check runs this test/' \
			-e 's#^make \(.*\)#make -C @ROOT@ BUILD=@BUILD@ SANITIZE=@SAN@ \1#' \
			-e '/^make -C/ { s/ BUILD=build / /g; s# build/# @BUILD@/#g; }' \
			-e 's|LD_PRELOAD="|@ASANOPTS@ LD_PRELOAD="@ASANRT@|g' \
			-e 's|LD_PRELOAD=\([^" ][^ ]*\)|LD_PRELOAD="@ASANRT@\1" @ASANOPTS@|g' \
			-e "s|@DIR@|$dir|g" -e "s|@ROOT@|'$ROOT'|g" -e "s|@BUILD@|$BUILD|g" \
			-e "s|@SAN@|$SAN|g" -e "s|@ASANRT@|${ASAN_RT:+$ASAN_RT }|g" \
			-e "s|@ASANOPTS@|ASAN_OPTIONS='$MMC_ASAN_OPTIONS'|g" \
			"$WORK/blocks/$id" >"$dir/run.sh"
	fi
	[[ $errexit == on ]] && flags=-euo
	(cd "$dir" && unset MAKEFLAGS MFLAGS MAKELEVEL &&
		PATH=$ROOT/$BUILD:$PATH STMM_EMU_STATE=$dir/.stmm-emu TMPDIR=$dir/tmp \
		timeout 240 bash $flags pipefail -c 'trap "kill \$(jobs -p) 2>/dev/null || true" EXIT; source ./run.sh') \
		>"$dir/out" 2>&1 || rc=$?
	# errexit=off: commands fail on purpose; what they print is checked below (but a
	# block cut short by the timeout is still a failure).
	[[ $rc == 0 || ($errexit == off && $rc != 124) ]] ||
		fail "README.md line $line ($id): exit $rc: $(tail -15 "$dir/out")"
	ok "README.md line $line ($id): ran ($(wc -l <"$WORK/blocks/$id") lines)"
}
while read -r id kind errexit needs line; do
	run_block "$id" "$kind" "$errexit" "$needs" "$line"
done <"$WORK/manifest"

# What the README's comments promise, from each block's output.
out() { cat "$WORK/$1/out"; }
has() { # ID TEXT WHAT
	grep -qF -- "$2" "$WORK/$1/out" || fail "$1: $3: no \"$2\" in: $(tail -8 "$WORK/$1/out")"
}
has newcomer "|hello from stmm-|" "make run reads the variable back"
# 9: the shim block programs the key before reading the counter.
has shim "Counter value: 0x" "9: read-counter after write-key"
# 7: the Secure Boot block's owner GUIDs are never all zero; it reaches user mode.
for esl in "$WORK"/secure-boot/*.esl; do
	[[ -s $esl ]] || continue
	owner=$(xxd -p -s 28 -l 16 "$esl")
	[[ $owner != 00000000000000000000000000000000 ]] || fail "7: $(basename "$esl"): all-zero owner GUID"
done
has secure-boot "secure boot:  user mode" "7: user mode"
has import "imported 31 live variables" "import: OVMF_VARS_4M.ms.fd's 31 variables"
[[ $(stat -c %s "$WORK/import/my_VARS_4M.fd") == 540672 ]] || fail "import: my_VARS_4M.fd is not 540672 bytes"
has rpmb-image "= StMM's EFI_VARS" "rpmb inspect finds the variable file"
has rpmb-image "imported " "import of the extracted store"
has conform "0 failed" "conform summary"
grep -q '<testcase' "$WORK/conform/conform.xml" || fail "conform: no JUnit cases in conform.xml"
grep -q '^ok ' "$WORK/conform/conform.tap" || fail "conform: no TAP ok line"
[[ $(out lost-response | tail -c 3) == two ]] ||
	fail "lost-response: after reset A is not \"two\": $(out lost-response | tail -3)"
[[ $(grep -c EFI_DEVICE_ERROR "$WORK/lost-response/out") -ge 2 ]] || fail "lost-response: not two EFI_DEVICE_ERRORs: $(out lost-response)"
has lost-response "RPMB is dead" "up names the dead RPMB"
has fail-after "EFI_DEVICE_ERROR" "the write at which rpmbd loses power fails"
has fail-after "rpmb state:   DEAD" "status shows the RPMB dead"
has scenario "0 failed" "scenario summary"
has scenario "scenario: state kept in $WORK/scenario/tmp/" "scenario --keep prints the kept directory"
has scenario "24 steps" "scenario --check parses S2"
has scenario-s2 "PASS" "the README's S2 scenario passes"
[[ $(stat -c %s "$WORK/os-io/data.bin") == 1024 ]] || fail "os-io: data.bin is not 2 blocks"
[[ $(xxd -p -l 1 "$WORK/os-io/data.bin") == 5c ]] || fail "os-io: block 3 does not start with the pattern 0x5c"
has persona-uboot "refused" "U-Boot refuses ready-to-boot"
has trace "SET_VARIABLE HelloWorld" "trace decodes the MM call"
if [[ -s $WORK/efivarfs/run.sh ]]; then # (skipped without root or /dev/fuse)
	has efivarfs "Timeout: 5 seconds" "efibootmgr -t 5"
	"$ROOT/$EMU" up -q -s "$WORK/efivarfs/.stmm-emu" || fail "efivarfs: up again"
	"$ROOT/$EMU" var get -s "$WORK/efivarfs/.stmm-emu" db >/dev/null 2>&1 ||
		fail "efivarfs: efi-updatevar through the mount did not create db"
	"$ROOT/$EMU" down -q -s "$WORK/efivarfs/.stmm-emu"
fi
has tee-shim "status 0x0 mm 0x0 size 2 data 6869" "tee-client reads Hello over /dev/tee0"
has ffa "passed, 0 failed" "conform over FF-A"

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
ok "the README's examples do what their comments say"
all_passed
