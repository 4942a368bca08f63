/* SPDX-License-Identifier: MIT */
/* GUID text form, status names, UCS-2 conversion and IPC framing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "efi_util.h"
#include "ipc.h"
#include "mm.h"

static void guid_parse_global(void **state)
{
	(void)state;
	/* EFI mixed-endian layout of 8be4df61-93ca-11d2-aa0d-00e098032b8c. */
	static const uint8_t want[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					  0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
	efi_guid_t g, macro = EFI_GLOBAL_VARIABLE_GUID;
	assert_int_equal(efi_guid_parse("8BE4DF61-93CA-11d2-aa0d-00e098032b8c", &g), 0);
	assert_memory_equal(g.b, want, 16);
	assert_memory_equal(macro.b, want, 16);
	char buf[EFI_GUID_STRING_SIZE];
	assert_string_equal(efi_guid_format(&g, buf), "8be4df61-93ca-11d2-aa0d-00e098032b8c");
}

static void guid_parse_rejects_malformed(void **state)
{
	(void)state;
	efi_guid_t g;
	assert_int_equal(efi_guid_parse("8be4df61-93ca-11d2-aa0d-00e098032b8", &g), -EINVAL);
	assert_int_equal(efi_guid_parse("8be4df61x93ca-11d2-aa0d-00e098032b8c", &g), -EINVAL);
	assert_int_equal(efi_guid_parse("8be4df61-93ca-11d2-aa0d-00e098032bzz", &g), -EINVAL);
	assert_int_equal(efi_guid_parse("", &g), -EINVAL);
}

static void smm_variable_guid_matches_pta_uuid(void **state)
{
	(void)state;
	efi_guid_t g = SMM_VARIABLE_GUID;
	char buf[EFI_GUID_STRING_SIZE];
	assert_string_equal(efi_guid_format(&g, buf), "ed32d533-99e6-4209-9cc0-2d72cdd998a7");
}

static void status_names_round_trip(void **state)
{
	(void)state;
	efi_status_t s;
	assert_string_equal(efi_status_name(EFI_NOT_FOUND), "EFI_NOT_FOUND");
	assert_int_equal(EFI_NOT_FOUND, 0x800000000000000eULL);
	assert_int_equal(EFI_SECURITY_VIOLATION, 0x800000000000001aULL);
	assert_int_equal(efi_status_from_name("SECURITY_VIOLATION", &s), 0);
	assert_int_equal(s, EFI_SECURITY_VIOLATION);
	assert_null(efi_status_name(EFI_ERR(999)));
	char buf[64];
	assert_string_equal(efi_status_str(EFI_ERR(999), buf, sizeof(buf)),
			    "EFI status 0x80000000000003e7");
}

static void ucs2_round_trip(void **state)
{
	(void)state;
	g_autofree uint8_t *name = NULL;
	g_autofree char *back = NULL;
	size_t size;
	assert_int_equal(ucs2_from_utf8("Boot0001", &name, &size), 0);
	assert_int_equal(size, 18);
	assert_memory_equal(name, "B\0o\0o\0t\0" "0\0" "0\0" "0\0" "1\0\0\0", 18);
	assert_int_equal(ucs2_to_utf8(name, size, &back), 0);
	assert_string_equal(back, "Boot0001");
}

static void ucs2_rejects_outside_bmp(void **state)
{
	(void)state;
	uint8_t *name = NULL;
	size_t size;
	assert_int_equal(ucs2_from_utf8("a\xf0\x9f\x98\x80", &name, &size), -EINVAL);
	assert_null(name);
}

static void hex_decode_accepts_separators_rejects_odd(void **state)
{
	(void)state;
	g_autoptr(GByteArray) b = NULL;
	assert_int_equal(hex_decode("0xDE ad:be\nEF", &b), 0);
	assert_int_equal(b->len, 4);
	assert_memory_equal(b->data, "\xde\xad\xbe\xef", 4);
	GByteArray *bad = NULL;
	assert_int_equal(hex_decode("abc", &bad), -EINVAL);
	assert_int_equal(hex_decode("ag", &bad), -EINVAL);
	assert_null(bad);
	g_autoptr(GByteArray) empty = NULL;
	assert_int_equal(hex_decode("", &empty), 0);
	assert_int_equal(empty->len, 0);
}

static void hex_decode_at_names_the_bad_character(void **state)
{
	(void)state;
	GByteArray *bad = NULL;
	size_t at = 99;
	assert_int_equal(hex_decode_at("gg", &bad, &at), -EINVAL);
	assert_int_equal(at, 0);
	assert_int_equal(hex_decode_at("0xde ad:bz", &bad, &at), -EINVAL);
	assert_int_equal(at, 9);
	assert_int_equal(hex_decode_at("abc", &bad, &at), -EINVAL);
	assert_int_equal(at, 3); /* odd: the end of the text */
	assert_null(bad);
	g_autoptr(GByteArray) b = NULL;
	at = 99;
	assert_int_equal(hex_decode_at("0a0b", &b, &at), 0);
	assert_int_equal(at, 99); /* untouched on success */
	assert_int_equal(b->len, 2);
}

static void ipc_round_trip_and_bad_header(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(emu_ipc_send(sv[0], 0x0101, 7, "abc", 3), 0);
	g_autoptr(emu_msg) m = NULL;
	assert_int_equal(emu_ipc_recv(sv[1], 1000, &m), 0);
	assert_int_equal(m->hdr.type, 0x0101);
	assert_int_equal(m->hdr.req_id, 7);
	assert_int_equal(m->hdr.length, 3);
	assert_memory_equal(m->payload, "abc", 3);

	/* A header whose length lies is consumed and reported, the socket stays usable. */
	struct emu_msg_hdr bad = { EMU_MSG_MAGIC, EMU_MSG_VERSION, 1, 1, 100 };
	assert_int_equal(write(sv[0], &bad, sizeof(bad)), sizeof(bad));
	struct emu_msg *m2 = NULL;
	assert_int_equal(emu_ipc_recv(sv[1], 1000, &m2), -EBADMSG);
	assert_int_equal(write(sv[0], "xy", 2), 2);
	assert_int_equal(emu_ipc_recv(sv[1], 1000, &m2), -EBADMSG);
	assert_int_equal(emu_ipc_recv(sv[1], 10, &m2), -ETIMEDOUT);
	close(sv[0]);
	assert_int_equal(emu_ipc_recv(sv[1], 1000, &m2), -ECONNRESET);
	close(sv[1]);
}

/* FNV-1a over GUID then name bytes: a known value, and each part of the key counts. */
static void efi_var_key_hash_and_equal(void **state)
{
	(void)state;
	const efi_guid_t zero = { { 0 } }, one = { { 1 } };
	const uint8_t a[] = { 'A', 0 }, b[] = { 'B', 0 }, a_long[] = { 'A', 0, 0, 0 };

	assert_int_equal(efi_var_key_hash(&zero, a, sizeof(a)), 0x9cadc4e4u);
	assert_int_equal(efi_var_key_hash(&zero, NULL, 0), 0x69691905u);
	assert_int_not_equal(efi_var_key_hash(&one, a, sizeof(a)), efi_var_key_hash(&zero, a, sizeof(a)));
	assert_true(efi_var_key_equal(&zero, a, sizeof(a), &zero, a, sizeof(a)));
	assert_false(efi_var_key_equal(&zero, a, sizeof(a), &one, a, sizeof(a)));
	assert_false(efi_var_key_equal(&zero, a, sizeof(a), &zero, b, sizeof(b)));
	assert_false(efi_var_key_equal(&zero, a, sizeof(a), &zero, a_long, sizeof(a_long)));
	assert_true(efi_var_key_equal(&zero, NULL, 0, &zero, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guid_parse_global),
		cmocka_unit_test(guid_parse_rejects_malformed),
		cmocka_unit_test(smm_variable_guid_matches_pta_uuid),
		cmocka_unit_test(status_names_round_trip),
		cmocka_unit_test(ucs2_round_trip),
		cmocka_unit_test(ucs2_rejects_outside_bmp),
		cmocka_unit_test(hex_decode_accepts_separators_rejects_odd),
		cmocka_unit_test(hex_decode_at_names_the_bad_character),
		cmocka_unit_test(ipc_round_trip_and_bad_header),
		cmocka_unit_test(efi_var_key_hash_and_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
