/* SPDX-License-Identifier: MIT */
/*
 * emu/efivarfs names and policy: the kernel's file-name check, the whitelist of variables
 * that may be removed (and so are not immutable), its content checks, and the EFI status
 * -> errno mapping (research/next-wave-anchors.md §1.1, clients-conformance.md §2.5).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "efi.h"
#include "efi_util.h"
#include "efivarfs.h"

#define GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define TGUID "210be57c-9849-4fc7-a635-e6382d1aec27"

static efi_guid_t guid_of(const char *s)
{
	efi_guid_t g;
	assert_int_equal(efi_guid_parse(s, &g), 0);
	return g;
}

static bool valid(const char *s)
{
	return efivarfs_valid_name(s, strlen(s));
}

static void valid_name_cases(void **state)
{
	(void)state;
	assert_true(valid("abc-" TGUID));
	assert_true(valid("--" TGUID));
	assert_true(valid("Boot0001-8BE4DF61-93CA-11D2-AA0D-00E098032B8C"));
	assert_false(valid("-" TGUID));       /* empty name */
	assert_false(valid(TGUID));
	assert_false(valid("foo"));
	assert_false(valid("abc=" TGUID));
	assert_false(valid("abc-210be57c-9849-4fc7-a635-e6382d1aec2")); /* short GUID */
	assert_false(valid("abc-210be57c=9849-4fc7-a635-e6382d1aec27"));
	assert_false(valid("abc-" TGUID "x"));
}

static void parse_and_format_lowercase(void **state)
{
	g_autofree uint8_t *name = NULL;
	size_t size = 0;
	efi_guid_t g;
	(void)state;

	assert_int_equal(efivarfs_parse_name("Foo-8BE4DF61-93CA-11D2-AA0D-00E098032B8C", &name, &size, &g), 0);
	assert_int_equal(size, 8);
	assert_memory_equal(name, "F\0o\0o\0\0\0", 8);
	g_autofree char *f = efivarfs_file_name(name, size, &g);
	assert_string_equal(f, "Foo-" GLOBAL);
	assert_int_equal(efivarfs_parse_name("x-" TGUID "0", &name, &size, &g), -EINVAL);
	/* '/' cannot be a file name: such a variable is not listed */
	efi_guid_t t = guid_of(TGUID);
	assert_null(efivarfs_file_name((const uint8_t *)"a\0/\0b\0\0\0", 8, &t));
	efi_guid_t seed = guid_of("1ce1e5bc-7ceb-42f2-81e5-8aadf180f57b");
	assert_true(efivarfs_guid_hidden(&seed));
	assert_false(efivarfs_guid_hidden(&t));
}

static void whitelist_removable(void **state)
{
	efi_guid_t g = guid_of(GLOBAL), t = guid_of(TGUID);
	efi_guid_t crash = guid_of("cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0");
	(void)state;

	const char *mutable_names[] = { "BootOrder", "BootNext", "Boot0001", "BootCurrent", "Driver0002",
					"DriverOrder", "ConIn", "ConOutDev", "ErrOut", "Lang",
					"PlatformLang", "OsIndications", "Timeout" };
	for (size_t i = 0; i < G_N_ELEMENTS(mutable_names); i++)
		assert_true(efivarfs_is_removable(mutable_names[i], &g));
	assert_false(efivarfs_is_removable("SecureBoot", &g));
	assert_false(efivarfs_is_removable("PK", &g));
	assert_false(efivarfs_is_removable("OsIndicationsSupported", &g));
	assert_false(efivarfs_is_removable("Timeout", &t));
	assert_true(efivarfs_is_removable("dump-type0-11-1-1362436005", &crash));
}

static void content_checks(void **state)
{
	efi_guid_t g = guid_of(GLOBAL), t = guid_of(TGUID);
	static const uint8_t ok_opt[] = { 1, 0, 0, 0, 4, 0, 'A', 0, 0, 0, 0x7f, 0xff, 4, 0 };
	static const uint8_t no_end[] = { 1, 0, 0, 0, 4, 0, 'A', 0, 0, 0, 0x04, 0x04, 4, 0 };
	static const uint8_t long_path[] = { 1, 0, 0, 0, 8, 0, 'A', 0, 0, 0, 0x7f, 0xff, 4, 0 };
	(void)state;

	assert_true(efivarfs_validate("Timeout", &g, (const uint8_t *)"\x05\x00", 2));
	assert_false(efivarfs_validate("Timeout", &g, (const uint8_t *)"\x05\x00\x00", 3));
	assert_true(efivarfs_validate("Timeout", &t, (const uint8_t *)"\x05", 1)); /* other GUID */
	assert_true(efivarfs_validate("BootOrder", &g, (const uint8_t *)"\1\0\2\0", 4));
	assert_false(efivarfs_validate("BootOrder", &g, (const uint8_t *)"\1\0\2", 3));
	assert_true(efivarfs_validate("Boot0001", &g, ok_opt, sizeof(ok_opt)));
	assert_false(efivarfs_validate("Boot0001", &g, no_end, sizeof(no_end)));
	assert_false(efivarfs_validate("Boot0001", &g, long_path, sizeof(long_path)));
	assert_false(efivarfs_validate("Boot0001", &g, ok_opt, 7));
	assert_false(efivarfs_validate("Boot00010", &g, ok_opt, sizeof(ok_opt)));
	assert_true(efivarfs_validate("BootCurrent", &g, (const uint8_t *)"\1", 1));
	assert_true(efivarfs_validate("Lang", &g, (const uint8_t *)"eng", 3));
	assert_false(efivarfs_validate("Lang", &g, (const uint8_t *)"\xe9ng", 3));
	assert_true(efivarfs_validate("ConOut", &g, ok_opt + 10, 4));
	assert_false(efivarfs_validate("ConOut", &g, ok_opt + 10, 3));
}

static void status_to_errno(void **state)
{
	(void)state;
	assert_int_equal(efivarfs_status_to_errno(EFI_SUCCESS), 0);
	assert_int_equal(efivarfs_status_to_errno(EFI_INVALID_PARAMETER), EINVAL);
	assert_int_equal(efivarfs_status_to_errno(EFI_OUT_OF_RESOURCES), ENOSPC);
	assert_int_equal(efivarfs_status_to_errno(EFI_DEVICE_ERROR), EIO);
	assert_int_equal(efivarfs_status_to_errno(EFI_WRITE_PROTECTED), EROFS);
	assert_int_equal(efivarfs_status_to_errno(EFI_SECURITY_VIOLATION), EACCES);
	assert_int_equal(efivarfs_status_to_errno(EFI_NOT_FOUND), ENOENT);
	assert_int_equal(efivarfs_status_to_errno(EFI_ABORTED), EINTR);
	assert_int_equal(efivarfs_status_to_errno(EFI_BUFFER_TOO_SMALL), EINVAL);
	assert_int_equal(efivarfs_status_to_errno(EFI_UNSUPPORTED), EINVAL);
}

static void kernel_names(void **state)
{
	enum efivarfs_kernel k;
	(void)state;
	assert_int_equal(efivarfs_kernel_from_name("6.13", &k), 0);
	assert_int_equal(k, EFIVARFS_KERNEL_6_13);
	assert_int_equal(efivarfs_kernel_from_name("selftests", &k), 0);
	assert_int_equal(k, EFIVARFS_KERNEL_6_14_RC1);
	assert_int_equal(efivarfs_kernel_from_name("6.14+", &k), 0);
	assert_int_equal(k, EFIVARFS_KERNEL_6_14);
	assert_int_equal(efivarfs_kernel_from_name("5.10", &k), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_name_cases),
		cmocka_unit_test(parse_and_format_lowercase),
		cmocka_unit_test(whitelist_removable),
		cmocka_unit_test(content_checks),
		cmocka_unit_test(status_to_errno),
		cmocka_unit_test(kernel_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
