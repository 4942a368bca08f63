# SPDX-License-Identifier: MIT
# Shared by the system tests that run Debian's mmc-utils through librpmb-shim.so (sourced):
# shim_preload SHIM sets PRELOAD (for LD_PRELOAD) and MMC_ASAN_OPTIONS.  mmc is not built
# with ASan: with a sanitized shim the ASan runtime it was linked against must load first,
# and leak detection is off for mmc only (it would report mmc-utils' own allocations).
shim_preload() {
	local SHIM=$1 asan_rt
	PRELOAD=$SHIM
	MMC_ASAN_OPTIONS=${ASAN_OPTIONS:-}
	asan_rt=$(ldd "$SHIM" | awk '/libasan\.so/ { print $3; exit }')
	if [[ -z "$asan_rt" ]] && nm -D --undefined-only "$SHIM" | grep -q '__asan_init'; then
		# clang links the ASan runtime statically into executables only; use its DSO.
		asan_rt=$("${CC:-cc}" -print-file-name=libclang_rt.asan-x86_64.so)
		[[ -f "$asan_rt" ]] || { echo "ASan-built shim but no shared ASan runtime found" >&2; return 1; }
	fi
	if [[ -n "$asan_rt" ]]; then
		PRELOAD="$asan_rt $SHIM"
		MMC_ASAN_OPTIONS="${MMC_ASAN_OPTIONS:+$MMC_ASAN_OPTIONS:}detect_leaks=0"
	fi
}
