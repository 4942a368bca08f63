/* SPDX-License-Identifier: MIT */
/*
 * VarCheckUefiLib (stmm/mm/varcheck_uefi.c) through the MM variable handler: the rules of
 * SetVariableCheckHandlerUefiDefined and the properties VariablePropertySetUefiDefined
 * registers, only after EndOfDxe, and off when the library is not linked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "test_stmm_mm.h"
#include "varcheck_uefi.h"

#define BS_RT 0x6u
#define HR    0x8u

static const efi_guid_t guid_db = EFI_IMAGE_SECURITY_DATABASE_GUID;
static const efi_guid_t guid_hw = EFI_HARDWARE_ERROR_VARIABLE_GUID;

static uint64_t event(struct fx *f, uint64_t fn)
{
	return call(f, hdr(f->buf, fn, 0));
}

static uint64_t prop_get(struct fx *f, const efi_guid_t *g, const char *name,
			 struct var_check_variable_property *ret)
{
	size_t ns = 2 * strlen(name) + 2;
	size_t n = hdr(f->buf, SMM_VARIABLE_FUNCTION_VAR_CHECK_VARIABLE_PROPERTY_GET, 48 + ns);
	uint64_t st;

	memcpy(f->buf + O_P, g->b, 16);
	put_le64(f->buf + O_P + 16, ns);
	memset(f->buf + O_P + 24, 0, 24);
	put_name(f->buf + O_P + 48, name);
	st = call(f, n);
	*ret = (struct var_check_variable_property){
		.revision = get_le16(f->buf + O_P + 24),
		.property = get_le16(f->buf + O_P + 26),
		.attributes = get_le32(f->buf + O_P + 28),
		.min_size = get_le64(f->buf + O_P + 32),
		.max_size = get_le64(f->buf + O_P + 40),
	};
	return st;
}

/* A load option: attributes, FilePathListLength, "A" NUL, one end node. */
static const uint8_t load_option[] = { 1, 0, 0, 0, 4, 0, 'A', 0, 0, 0, 0x7f, 0xff, 4, 0 };

static void before_end_of_dxe_nothing_is_checked(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_g, "NotAUefiName", NV_BS_RT, "x", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "BootOrder", NV_BS_RT, "abc", 3), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "SecureBoot", BS_RT, "\1", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "SecureBoot", 0, NULL, 0), EFI_SUCCESS);
}

static void read_only_and_namespace_after_end_of_dxe(void **state)
{
	struct fx *f = *state;

	assert_int_equal(set_var(f, &guid_g, "SecureBoot", BS_RT, "\0", 1), EFI_SUCCESS);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	/* VarCheckLibSetVariableCheck: READ_ONLY, even for a delete. */
	assert_int_equal(set_var(f, &guid_g, "SecureBoot", BS_RT, "\1", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_g, "SecureBoot", 0, NULL, 0), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_g, "SetupMode", BS_RT, "\1", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_g, "VendorKeys", BS_RT, "\1", 1), EFI_WRITE_PROTECTED);
	assert_int_equal(set_var(f, &guid_g, "dbDefault", BS_RT, "\1", 1), EFI_WRITE_PROTECTED);
	/* The global-namespace rule: no property -> EFI_INVALID_PARAMETER; a delete passes. */
	assert_int_equal(set_var(f, &guid_g, "NotAUefiName", NV_BS_RT, "x", 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(get_var(f, &guid_g, "NotAUefiName", 8), EFI_NOT_FOUND);
	assert_int_equal(set_var(f, &guid_g, "NotAUefiName", NV_BS_RT, NULL, 0), EFI_NOT_FOUND);
	/* AuditMode and DeployedMode are no longer in mGlobalVariableList. */
	assert_int_equal(set_var(f, &guid_g, "AuditMode", BS_RT, "\0", 1), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_db, "dbq", NV_BS_RT, "x", 1), EFI_INVALID_PARAMETER);
	/* Another vendor's GUID is not a UEFI namespace. */
	assert_int_equal(set_var(f, &guid_v, "NotAUefiName", NV_BS_RT, "x", 1), EFI_SUCCESS);
	/* Lower-case hex: VarCheckLib's wildcard match takes upper case only. */
	assert_int_equal(set_var(f, &guid_g, "Boot000a", NV_BS_RT, load_option,
				 sizeof(load_option)),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "Boot000A", NV_BS_RT, load_option,
				 sizeof(load_option)),
			 EFI_SUCCESS);
}

static void content_checks(void **state)
{
	struct fx *f = *state;
	uint8_t bad_lo[sizeof(load_option)];
	const uint8_t key[14] = { 0 };
	const uint8_t dp_end[] = { 0x7f, 0xff, 4, 0 };
	const uint8_t dp_bad[] = { 0x7f, 0xff, 5, 0, 0 };
	const uint8_t file_dp_no_nul[] = { 4, 4, 6, 0, 'a', 0, 0x7f, 0xff, 4, 0 };

	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	/* InternalVarCheckSizeArray */
	assert_int_equal(set_var(f, &guid_g, "BootOrder", NV_BS_RT, "abc", 3),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "BootOrder", NV_BS_RT, "abcd", 4), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "DriverOrder", NV_BS_RT, "a", 1),
			 EFI_INVALID_PARAMETER);
	/* Property sizes and attributes (VarCheckLib, before the handler). */
	assert_int_equal(set_var(f, &guid_g, "Timeout", NV_BS_RT, "abc", 3), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "Timeout", BS_RT, "ab", 2), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "Timeout", NV_BS_RT, "ab", 2), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "BootCurrent", BS_RT, "ab", 2), EFI_SUCCESS);
	/* InternalVarCheckLoadOption */
	memcpy(bad_lo, load_option, sizeof(bad_lo));
	bad_lo[4] = 6; /* FilePathListLength beyond the data */
	assert_int_equal(set_var(f, &guid_g, "Boot0001", NV_BS_RT, bad_lo, sizeof(bad_lo)),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "Boot0001", NV_BS_RT, load_option, 6),
			 EFI_INVALID_PARAMETER); /* no NUL in the description */
	assert_int_equal(set_var(f, &guid_g, "Driver0001", NV_BS_RT, load_option,
				 sizeof(load_option)),
			 EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "PlatformRecovery0000", BS_RT, load_option,
				 sizeof(load_option)),
			 EFI_SUCCESS);
	/* InternalVarCheckKeyOption: 10 + n * 4 bytes, n <= 3. */
	assert_int_equal(set_var(f, &guid_g, "Key0000", NV_BS_RT, key, 14), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "Key0001", NV_BS_RT, key, 13), EFI_INVALID_PARAMETER);
	/* InternalVarCheckDevicePath */
	assert_int_equal(set_var(f, &guid_g, "ConOut", NV_BS_RT, dp_end, 4), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "ConIn", NV_BS_RT, dp_bad, 5), EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "ErrOut", NV_BS_RT, file_dp_no_nul,
				 sizeof(file_dp_no_nul)),
			 EFI_INVALID_PARAMETER);
	/* InternalVarCheckAsciiString */
	assert_int_equal(set_var(f, &guid_g, "PlatformLang", NV_BS_RT, "en", 2),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_g, "PlatformLang", NV_BS_RT, "en\0", 3), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "Lang", NV_BS_RT, "e\0g", 3), EFI_SUCCESS);
}

static void hardware_error_records(void **state)
{
	struct fx *f = *state;

	fx_close(f);
	f->cfg.hwerr_storage_size = 0x1000;
	fx_open(f);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	/* IsHwErrRecVariable: the GUID and HwErrRec#### (either case). */
	assert_int_equal(set_var(f, &guid_v, "HwErrRec0000", HR | NV_BS_RT, "x", 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_hw, "HwErrRecord0", HR | NV_BS_RT, "x", 1),
			 EFI_INVALID_PARAMETER);
	assert_int_equal(set_var(f, &guid_hw, "HwErrRec00A0", HR | NV_BS_RT, "x", 1), EFI_SUCCESS);
	/* Lower case passes IsHwErrRecVariable but has no property: the namespace rule. */
	assert_int_equal(set_var(f, &guid_hw, "HwErrRec00a0", HR | NV_BS_RT, "x", 1),
			 EFI_INVALID_PARAMETER);
}

static void property_get_answers_as_edk2(void **state)
{
	struct fx *f = *state;
	struct var_check_variable_property p;

	/* Registered at boot: answered before EndOfDxe too. */
	assert_int_equal(prop_get(f, &guid_g, "SecureBoot", &p), EFI_SUCCESS);
	assert_int_equal(p.revision, VAR_CHECK_VARIABLE_PROPERTY_REVISION);
	assert_int_equal(p.property, VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY);
	assert_int_equal(p.attributes, BS_RT);
	assert_int_equal(p.min_size, 1);
	assert_int_equal(p.max_size, 1);
	assert_int_equal(prop_get(f, &guid_g, "Boot00FF", &p), EFI_SUCCESS);
	assert_int_equal(p.property, 0);
	assert_int_equal(p.attributes, NV_BS_RT);
	assert_int_equal(p.min_size, 6);
	assert_true(p.max_size == UINT64_MAX);
	assert_int_equal(prop_get(f, &guid_g, "Boot00ff", &p), EFI_NOT_FOUND);
	assert_int_equal(prop_get(f, &guid_db, "dbx", &p), EFI_SUCCESS);
	assert_int_equal(p.attributes, 0x27);
	assert_int_equal(prop_get(f, &guid_g, "NotAUefiName", &p), EFI_NOT_FOUND);
}

static void not_linked_checks_nothing(void **state)
{
	struct fx *f = *state;
	struct var_check_variable_property p;

	fx_close(f);
	f->cfg.var_check_uefi = false;
	fx_open(f);
	assert_int_equal(event(f, SMM_VARIABLE_FUNCTION_READY_TO_BOOT), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "NotAUefiName", NV_BS_RT, "x", 1), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "BootOrder", NV_BS_RT, "abc", 3), EFI_SUCCESS);
	assert_int_equal(set_var(f, &guid_g, "SecureBoot", BS_RT, "\1", 1), EFI_SUCCESS);
	assert_int_equal(prop_get(f, &guid_g, "SecureBoot", &p), EFI_NOT_FOUND);
}

static void device_path_walk(void **state)
{
	(void)state;
	const uint8_t two[] = { 1, 1, 6, 0, 0, 0, 0x7f, 0xff, 4, 0 };
	const uint8_t short_node[] = { 1, 1, 3, 0, 0x7f, 0xff, 4, 0 };

	assert_true(varcheck_uefi_device_path_valid(two, sizeof(two)));
	assert_false(varcheck_uefi_device_path_valid(two, sizeof(two) - 1));
	assert_false(varcheck_uefi_device_path_valid(two, 3));
	assert_false(varcheck_uefi_device_path_valid(short_node, sizeof(short_node)));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(before_end_of_dxe_nothing_is_checked),
		T(read_only_and_namespace_after_end_of_dxe),
		T(content_checks),
		T(hardware_error_records),
		T(property_get_answers_as_edk2),
		T(not_linked_checks_nothing),
		cmocka_unit_test(device_path_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
