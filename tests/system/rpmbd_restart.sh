#!/usr/bin/env bash
# rpmbd keeps the key, the write counter and the data across a restart; SIGTERM exits 0;
# a second rpmbd on the same database is refused with a clear error.
set -euo pipefail
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
source "$(dirname "$0")/lib/rpmbd.bash"

start
out=$(client read-counter 2>&1) && fail "read-counter before the key succeeded: $out"
[ "$out" = "rpmb-client: read counter: NO_AUTH_KEY" ] || fail "read-counter before the key: $out"
client --key $KEY write-key || fail "write-key"
[ "$(client --key $KEY read-counter)" = 0 ] || fail "counter after key"
client --key $KEY write-block 0 cafebabe >/dev/null || fail "write block 0"
head -c 512 /dev/urandom >"$dir/two-blocks"
client --key $KEY write-block 1022 "@$dir/two-blocks" >/dev/null || fail "write the last two blocks"
client --key $KEY write-block 1024 00 >/dev/null 2>&1 && fail "write past the end accepted"
client --key $KEY write-block 1023 "@$dir/two-blocks" >/dev/null 2>&1 && fail "write across the end accepted"
want_last=$(client --key $KEY read-block 1022 2)
[ "$(client --key $KEY read-counter)" = 2 ] || fail "counter before restart"

# A second device on the same database is refused; the first keeps serving.
rc=0
"$RPMBD" --db "$dir/rpmb.db" --socket "$dir/other.sock" 2>"$dir/second.log" || rc=$?
[ "$rc" = 1 ] || fail "second rpmbd: exit status $rc"
grep -q "in use by another rpmbd (pid $pid" "$dir/second.log" || fail "second rpmbd: $(cat "$dir/second.log")"
[ "$(client --key $KEY read-counter)" = 2 ] || fail "first rpmbd after the second was refused"

stop
# Creation options do not change an existing device.
start --size-mult 8 --counter-start 77
client info | grep -qx "rpmb_size_mult 2" || fail "size changed on restart"
[ "$(client --key $KEY read-counter)" = 2 ] || fail "counter after restart (or key lost: MAC)"
client --key $KEY read-block 0 | grep -q "^cafebabe0000" || fail "block 0 after restart"
[ "$(client --key $KEY read-block 1022 2)" = "$want_last" ] || fail "last blocks after restart"
client --key $KEY write-key 2>/dev/null && fail "key programmed twice"
client --key ff${KEY#??} read-counter 2>/dev/null && fail "a wrong key verified"
client --key $KEY write-block 5 01 >/dev/null || fail "write after restart"
[ "$(client --key $KEY read-counter)" = 3 ] || fail "counter after a write after restart"
stop
echo "rpmbd_restart: ok"
