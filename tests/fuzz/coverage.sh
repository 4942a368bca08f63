#!/usr/bin/env bash
# Line coverage of stmm/, rpmb/, supplicant/ and lib/ by the fuzz corpora (make
# fuzz-coverage): runs each replay_<h> built with gcc --coverage in $BUILD over
# tests/fuzz/corpus/<h>, tests/fuzz/regressions/<h> and, if FUZZ_OUT is set, the corpora a
# `make fuzz FUZZ_OUT=DIR` run grew in DIR/<h>; then prints gcov's figures per file and per
# directory.
#   coverage.sh HARNESS...
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:?}
find "$BUILD" -name '*.gcda' -delete
for h in "$@"; do
	"$BUILD/fuzz/replay_$h" tests/fuzz/corpus/"$h" tests/fuzz/regressions/"$h" \
		${FUZZ_OUT:+"$FUZZ_OUT/$h"} >/dev/null
done
declare -A tot hit
printf '%-36s %7s %6s\n' file lines cover
for src in $(ls stmm/*.c stmm/*/*.c rpmb/*.c supplicant/*.c lib/*.c | grep -v '/main\.c$'); do
	obj=$BUILD/${src%.c}.o
	[ -f "$obj" ] || continue
	line=$(gcov -n -o "$(dirname "$obj")" "$src" 2>/dev/null |
		awk -v f="$src" '$0 ~ "^File .*" f "'"'"'$" { getline; print; exit }')
	pct=$(sed -n 's/^Lines executed:\([0-9.]*\)% of \([0-9]*\)$/\1 \2/p' <<<"$line")
	[ -n "$pct" ] || pct="0 0"
	read -r p n <<<"$pct"
	e=$(awk -v p="$p" -v n="$n" 'BEGIN { printf "%d", p * n / 100 + 0.5 }')
	printf '%-36s %7s %5s%%\n' "$src" "$n" "$p"
	d=${src%/*}
	d=${d%%/*}
	tot[$d]=$(( ${tot[$d]:-0} + n ))
	hit[$d]=$(( ${hit[$d]:-0} + e ))
done
echo
for d in stmm rpmb supplicant lib; do
	[ "${tot[$d]:-0}" -gt 0 ] || continue
	awk -v d="$d" -v h="${hit[$d]}" -v t="${tot[$d]}" \
		'BEGIN { printf "fuzz coverage %-11s %5d of %5d lines  %5.1f%%\n", d "/", h, t, 100 * h / t }'
done
