#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# What each daemon carries and costs (issue 16, start-up and RSS; README "Start-up and
# memory"):
#   - each daemon links only what it uses: supplicantd neither OpenSSL nor SQLite, stmmd
#     no SQLite (nm over the binary: defined when static, undefined when dynamic);
#   - a site openssl.cnf does not reach the emulated device or secure world: with an
#     OPENSSL_CONF that activates only OpenSSL's "null" provider (no HMAC, no AES, had it
#     been read) the stack still comes up and keeps a variable;
#   - the three daemons of a stack that has set and read a variable stay within 12 MB of
#     RSS (VmRSS summed), when they are linked statically (`make`; not the sanitizer build).
set -euo pipefail

source "$(dirname "$0")/lib/stack.bash"
export STMM_EMU_TIMEOUT_MS=20000
command -v nm >/dev/null || { source "$(dirname "$0")/lib/wait.bash"; skip_test "nm (binutils) not installed"; }

# ---- what each daemon links --------------------------------------------------------------
symbols() { { nm "$1" 2>/dev/null || true; nm -D "$1" 2>/dev/null || true; } | awk '{sub(/@.*/, "", $NF); print $NF}'; }
has_symbol() { symbols "$1" | grep -x -- "$2" >/dev/null; } # grep reads it all (pipefail)
has_symbol "$BUILD/stmmd" EVP_MAC_fetch || fail "stmmd: no EVP_MAC_fetch in nm's view (the check cannot see symbols)"
has_symbol "$BUILD/rpmbd" sqlite3_open_v2 || fail "rpmbd: no sqlite3_open_v2 in nm's view"
for sym in EVP_MAC_fetch sqlite3_open_v2; do
	! has_symbol "$BUILD/supplicantd" "$sym" || fail "supplicantd carries $sym: it relays frames only"
done
! has_symbol "$BUILD/stmmd" sqlite3_open_v2 || fail "stmmd carries SQLite"
ok "supplicantd links neither OpenSSL nor SQLite; stmmd no SQLite"

# ---- openssl.cnf is not read ---------------------------------------------------------------
cat >"$WORK/openssl.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
null = null_sect
[null_sect]
activate = 1
EOF
OPENSSL_CONF=$WORK/openssl.cnf "$EMU" up --quiet || fail "up with an openssl.cnf activating only the null provider"
OPENSSL_CONF=$WORK/openssl.cnf "$EMU" var set Footprint --data 0102 >/dev/null || fail "var set"
[[ $("$EMU" var get Footprint --raw | od -An -tx1 | tr -d ' \n') == 0102 ]] || fail "var get Footprint"
ok "a site openssl.cnf (null provider only) does not reach rpmbd or stmmd"

# ---- RSS -------------------------------------------------------------------------------------
rss=0
for p in rpmbd supplicantd stmmd; do
	kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$(pid_of "$p")/status")
	echo "$p: VmRSS $kb kB"
	rss=$((rss + kb))
done
echo "stack: $rss kB RSS"
static=1
for p in rpmbd supplicantd stmmd; do
	readelf -l "$BUILD/$p" 2>/dev/null | grep -q 'INTERP' && static=0
done
if [[ $static == 1 ]]; then
	((rss <= 12 * 1024)) || fail "the three daemons use $rss kB RSS, more than 12 MB"
	ok "the three daemons (static) use $rss kB RSS, within 12 MB"
else
	echo "note: daemons linked dynamically ($BUILD; SANITIZE=1 or STATIC_DAEMONS=0): RSS not held to 12 MB"
fi
all_passed
