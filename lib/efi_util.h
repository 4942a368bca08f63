/* SPDX-License-Identifier: MIT */
/* GUID text form, EFI status names and UCS-2 names: helpers every program shares. */
#ifndef STMM_EMU_EFI_UTIL_H
#define STMM_EMU_EFI_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "efi.h"

/* "8be4df61-93ca-11d2-aa0d-00e098032b8c" plus NUL. */
#define EFI_GUID_STRING_SIZE 37

/* Parse the 36-character text form (case-insensitive).  0 or -EINVAL. */
__attribute__((warn_unused_result)) int efi_guid_parse(const char *s, efi_guid_t *ret_guid);
/* Format into buf (at least EFI_GUID_STRING_SIZE bytes); returns buf. */
char *efi_guid_format(const efi_guid_t *guid, char buf[static EFI_GUID_STRING_SIZE]);
bool efi_guid_equal(const efi_guid_t *a, const efi_guid_t *b);

/* A variable's key, GUID and name bytes, in hash tables: FNV-1a over the GUID's 16 bytes
 * then the name's, and equality of both (names compared as bytes, size included). */
guint efi_var_key_hash(const efi_guid_t *guid, const uint8_t *name, size_t name_size);
bool efi_var_key_equal(const efi_guid_t *guid_a, const uint8_t *name_a, size_t size_a,
		       const efi_guid_t *guid_b, const uint8_t *name_b, size_t size_b);

/* "EFI_NOT_FOUND"; NULL for a value that has no name. */
const char *efi_status_name(efi_status_t status);
/* Name, or "EFI status 0x..." in buf for an unknown value. */
const char *efi_status_str(efi_status_t status, char *buf, size_t size);
/* Inverse of efi_status_name (accepts with or without the EFI_ prefix). 0 or -EINVAL. */
__attribute__((warn_unused_result)) int efi_status_from_name(const char *name, efi_status_t *ret);

/*
 * UTF-8 -> UCS-2LE with terminating NUL, as bytes (g_free).  Fails with -EINVAL for
 * invalid UTF-8 or characters outside the BMP.  ret_size counts bytes incl. the NUL.
 */
__attribute__((warn_unused_result)) int ucs2_from_utf8(const char *s, uint8_t **ret_name,
						       size_t *ret_size);
/*
 * UCS-2LE bytes (not necessarily aligned, up to `size` bytes or the first NUL) -> UTF-8
 * (g_free).  -EINVAL on unpaired surrogates.
 */
__attribute__((warn_unused_result)) int ucs2_to_utf8(const uint8_t *name, size_t size,
						     char **ret_str);

/*
 * Hex text -> bytes (g_byte_array_unref): an optional 0x prefix, then pairs of hex digits;
 * white space and ':' between digits are ignored.  -EINVAL for anything else or an odd
 * number of digits.
 */
__attribute__((warn_unused_result)) int hex_decode(const char *s, GByteArray **ret_bytes);
/*
 * hex_decode() that says where it stopped: on -EINVAL, *ret_bad (if not NULL) is the byte
 * offset in `s` of the first character that is not a hex digit, or strlen(s) when the
 * digits are all valid but odd in number.
 */
__attribute__((warn_unused_result)) int hex_decode_at(const char *s, GByteArray **ret_bytes,
						       size_t *ret_bad);

/* Hex dump at debug level, one line per 16 bytes, prefixed by `what`. */
void emu_log_hexdump(const char *what, const void *data, size_t size);

#endif
