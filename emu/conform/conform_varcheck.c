/* SPDX-License-Identifier: MIT */
/*
 * Destructive group varcheck-uefi: edk2's VarCheckUefiLib as OP-TEE's StMM build links it
 * (PlatformStandaloneMmRpmb.dsc:161 NULL|VarCheckUefiLib), enforced after EndOfDxe
 * (VarCheckLib.c VarCheckLibSetVariableCheck "Only do check after End Of Dxe"), and the
 * LOCK_VARIABLE answer that depends on VarCheckPolicyLib.  Sources cite edk2 c5aa7e7d94.
 */
#include <string.h>

#include "conform.h"
#include "mm.h"

#define RTB SMM_VARIABLE_FUNCTION_READY_TO_BOOT
#define BS_RT    (A_BS | A_RT)
#define NV_BS_RT (A_NV | A_BS | A_RT)

static const efi_guid_t g_global = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t g_security = EFI_IMAGE_SECURITY_DATABASE_GUID;

static int to_end_of_dxe(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	return CF_PASS;
}

static int vc_read_only(struct cf *cf)
{
	static const uint8_t one = 1;
	if (to_end_of_dxe(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "SecureBoot", &g_global, BS_RT, &one, 1), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_del(cf, "SecureBoot", &g_global), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, "SetupMode", &g_global, BS_RT, &one, 1), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, "VendorKeys", &g_global, BS_RT, &one, 1), EFI_WRITE_PROTECTED);
	CF_EXPECT_ST(cf_set(cf, "PKDefault", &g_global, BS_RT, &one, 1), EFI_WRITE_PROTECTED);
	return CF_PASS;
}

static int vc_namespace(struct cf *cf)
{
	if (to_end_of_dxe(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "NotAUefiName", &g_global, NV_BS_RT, cf_data10, 1),
		     EFI_INVALID_PARAMETER);
	if (cf_check_absent(cf, "NotAUefiName", &g_global) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "AuditMode", &g_global, BS_RT, cf_data10, 1),
		     EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "dbq", &g_security, NV_BS_RT, cf_data10, 1),
		     EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "NotAUefiName", &cf_guid_own, NV_BS_RT, cf_data10, 1),
		     EFI_SUCCESS);
	return CF_PASS;
}

static int vc_before_end_of_dxe(struct cf *cf)
{
	static const uint8_t odd[3] = { 1, 0, 2 };
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "NotAUefiName", &g_global, NV_BS_RT, cf_data10, 1), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "BootOrder", &g_global, NV_BS_RT, odd, 3), EFI_SUCCESS);
	return CF_PASS;
}

static int vc_uint16_arrays(struct cf *cf)
{
	static const uint8_t two[4] = { 1, 0, 2, 0 };
	if (to_end_of_dxe(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_set(cf, "BootOrder", &g_global, NV_BS_RT, two, 3), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "DriverOrder", &g_global, NV_BS_RT, two, 1),
		     EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "BootOrder", &g_global, BS_RT, two, 4), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "BootOrder", &g_global, NV_BS_RT, two, 4), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "Timeout", &g_global, NV_BS_RT, two, 3), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "Timeout", &g_global, NV_BS_RT, two, 2), EFI_SUCCESS);
	return CF_PASS;
}

static int vc_load_options(struct cf *cf)
{
	/* Attributes, FilePathListLength 4, L"A", an end-of-device-path node. */
	static const uint8_t lo[14] = { 1, 0, 0, 0, 4, 0, 'A', 0, 0, 0, 0x7f, 0xff, 4, 0 };
	static const uint8_t key[14] = { 0 };
	uint8_t bad[14];
	if (to_end_of_dxe(cf) != CF_PASS)
		return CF_FAIL;
	memcpy(bad, lo, sizeof(bad));
	bad[4] = 8; /* the file path list runs past the data */
	CF_EXPECT_ST(cf_set(cf, "Boot0001", &g_global, NV_BS_RT, bad, 14), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "Boot0001", &g_global, NV_BS_RT, lo, 14), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "Boot000a", &g_global, NV_BS_RT, lo, 14), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "Key0000", &g_global, NV_BS_RT, key, 13), EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "Key0000", &g_global, NV_BS_RT, key, 14), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "PlatformLang", &g_global, NV_BS_RT, "en", 2),
		     EFI_INVALID_PARAMETER);
	CF_EXPECT_ST(cf_set(cf, "PlatformLang", &g_global, NV_BS_RT, "en", 3), EFI_SUCCESS);
	return CF_PASS;
}

static int vc_property_get(struct cf *cf)
{
	uint16_t prop;
	uint32_t attrs;
	uint64_t min, max;
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_property_get(cf, "SecureBoot", &g_global, &prop, &attrs, &min, &max),
		     EFI_SUCCESS);
	CF_EXPECT(prop == VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY && attrs == BS_RT && min == 1 &&
			  max == 1,
		  "SecureBoot property %u %#x %llu..%llu", prop, attrs, (unsigned long long)min,
		  (unsigned long long)max);
	CF_EXPECT_ST(cf_property_get(cf, "Boot00FF", &g_global, &prop, &attrs, &min, &max),
		     EFI_SUCCESS);
	CF_EXPECT(prop == 0 && attrs == NV_BS_RT && min == 6 && max == UINT64_MAX,
		  "Boot00FF property %u %#x %llu", prop, attrs, (unsigned long long)min);
	CF_EXPECT_ST(cf_property_get(cf, "NotAUefiName", &g_global, NULL, NULL, NULL, NULL),
		     EFI_NOT_FOUND);
	return CF_PASS;
}

static int vc_lock_not_ready(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_EXPECT_ST(cf_lock_variable(cf, "LockMe", &cf_guid_own), EFI_NOT_READY);
	return CF_PASS;
}

static int vc_lock_now(struct cf *cf)
{
	if (cf_reset(cf) != CF_PASS)
		return CF_FAIL;
	CF_SETUP(cf_set(cf, "LockMe", &cf_guid_own, NV_BS_RT, cf_data10, 10));
	CF_EXPECT_ST(cf_lock_variable(cf, "LockMe", &cf_guid_own), EFI_SUCCESS);
	CF_EXPECT_ST(cf_event(cf, RTB), EFI_SUCCESS);
	CF_EXPECT_ST(cf_set(cf, "LockMe", &cf_guid_own, NV_BS_RT, cf_data10, 2),
		     EFI_WRITE_PROTECTED);
	return cf_check_var(cf, "LockMe", &cf_guid_own, NV_BS_RT, cf_data10, 10);
}

#define VCU "edk2 VarCheckUefiLibNullClass.c"
static const struct cf_case vc_cases[] = {
	{ "varcheck-uefi.read-only", CF_LIB, VCU " mGlobalVariableList (SecureBoot, SetupMode, VendorKeys, PKDefault READ_ONLY) + VarCheckLib.c VarCheckLibSetVariableCheck: after EndOfDxe set and delete -> EFI_WRITE_PROTECTED", vc_read_only, NULL },
	{ "varcheck-uefi.global-namespace", CF_LIB, VCU " SetVariableCheckHandlerUefiDefined (mUefiDefinedGuid, no property): NotAUefiName / AuditMode (global), dbq (security) -> EFI_INVALID_PARAMETER, not created; another GUID fine", vc_namespace, NULL },
	{ "varcheck-uefi.before-end-of-dxe", CF_LIB, "edk2 VarCheckLib.c VarCheckLibSetVariableCheck: before EndOfDxe nothing is checked (NotAUefiName, odd BootOrder -> EFI_SUCCESS)", vc_before_end_of_dxe, NULL },
	{ "varcheck-uefi.uint16-arrays", CF_LIB, VCU " InternalVarCheckSizeArray (BootOrder, DriverOrder), property attributes/sizes (BootOrder NV|BS|RT, Timeout 2 bytes) -> EFI_INVALID_PARAMETER", vc_uint16_arrays, NULL },
	{ "varcheck-uefi.load-options", CF_LIB, VCU " InternalVarCheckLoadOption, InternalVarCheckKeyOption, InternalVarCheckAsciiString; VarCheckLib.c VarCheckInternalIsHexaDecimalDigitCharacter (Boot000a: upper case only)", vc_load_options, NULL },
	{ "varcheck-uefi.property-get", CF_LIB, VCU " VariablePropertySetUefiDefined + VarCheckLib.c VarCheckLibVariablePropertyGet (wildcard Boot####): PROPERTY_GET answers them", vc_property_get, NULL },
	{ "varcheck-uefi.lock-not-ready", CF_LIB, "PlatformStandaloneMmRpmb.dsc:155-163 (no VarCheckPolicyLib) + VariablePolicyLib.c RegisterVariablePolicy: LOCK_VARIABLE -> EFI_NOT_READY", vc_lock_not_ready, "optee-stmm" },
	{ "varcheck-uefi.lock-now", CF_LIB, "edk2 VariableLockRequestToLock with VarCheckPolicyLib: LOCK_VARIABLE -> EFI_SUCCESS, after EndOfDxe EFI_WRITE_PROTECTED", vc_lock_now, "strict" },
};

CF_GROUP(cf_group_varcheck_uefi, "varcheck-uefi", "VarCheckUefiLib and the policy engine",
	 CF_GROUP_DESTRUCTIVE, vc_cases);
