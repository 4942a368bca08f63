# SPDX-License-Identifier: MIT
# Shared by the system tests that make authenticated-variable payloads with efitools at test
# time, from the keys in fixtures/keys (sourced, not run; after stack.bash: uses WORK, fail).
# Sets KEYS and OWNER_GUID; fails at once when efitools or xxd is missing.
#   esl NAME CERT
#       $WORK/NAME.esl: an EFI_SIGNATURE_LIST of fixtures/keys/CERT.crt, owner OWNER_GUID
#   sign OUT KEY VAR DATAFILE "TIMESTAMP" [sign-efi-sig-list options...]
#       $WORK/OUT: DATAFILE as an EFI_VARIABLE_AUTHENTICATION_2 write of VAR signed by KEY
KEYS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../fixtures/keys" && pwd)
OWNER_GUID=11111111-2222-3333-4444-555555555555

for t in cert-to-efi-sig-list sign-efi-sig-list xxd; do
	command -v "$t" >/dev/null || fail "$t not installed (efitools, xxd)"
done

esl() {
	cert-to-efi-sig-list -g "$OWNER_GUID" "$KEYS/$2.crt" "$WORK/$1.esl" >/dev/null ||
		fail "cert-to-efi-sig-list $1"
}
sign() {
	local out=$1 key=$2 var=$3 data=$4 ts=$5
	shift 5
	sign-efi-sig-list "$@" -t "$ts" -k "$KEYS/$key.key" -c "$KEYS/$key.crt" "$var" "$data" \
		"$WORK/$out" >/dev/null || fail "sign-efi-sig-list $out"
}
