/* SPDX-License-Identifier: MIT */
/*
 * VarCheckUefiLib as edk2 has it (MdeModulePkg/Library/VarCheckUefiLib/
 * VarCheckUefiLibNullClass.c, tianocore/edk2 c5aa7e7d94): the tables mGlobalVariableList,
 * mGlobalVariableList2, mImageSecurityVariableList and mHwErrRecVariable, and the checks of
 * SetVariableCheckHandlerUefiDefined.  Written from the behaviour, not the code.
 *
 * Note: current edk2 no longer lists AuditMode and DeployedMode (they went with the
 * Audit/Deployed mode support in 2017), so after EndOfDxe they fall under the
 * global-namespace rule like any other name UEFI does not define.
 */
#include "varcheck_uefi.h"

#include <string.h>

#include <glib.h>

#include "bytes.h"

#define NV EFI_VARIABLE_NON_VOLATILE
#define BS EFI_VARIABLE_BOOTSERVICE_ACCESS
#define RT EFI_VARIABLE_RUNTIME_ACCESS
#define HR EFI_VARIABLE_HARDWARE_ERROR_RECORD
#define AT EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS
#define RO VAR_CHECK_VARIABLE_PROPERTY_READ_ONLY
#define ANY UINT64_MAX /* MAX_UINTN on AArch64 */

#define DP_HEADER 4u        /* sizeof (EFI_DEVICE_PATH_PROTOCOL) */
#define KEY_OPTION 10u      /* sizeof (EFI_KEY_OPTION), #pragma pack(1) in UefiSpec.h */
#define INPUT_KEY 4u        /* sizeof (EFI_INPUT_KEY) */

enum content_check {
	CHECK_NONE,
	CHECK_LOAD_OPTION, /* InternalVarCheckLoadOption */
	CHECK_KEY_OPTION,  /* InternalVarCheckKeyOption */
	CHECK_DEVICE_PATH, /* InternalVarCheckDevicePath */
	CHECK_ASCII,       /* InternalVarCheckAsciiString */
	CHECK_SIZE_ARRAY,  /* InternalVarCheckSizeArray */
};

struct uefi_var {
	const char *name; /* ASCII; "####" = four hex digits */
	uint16_t property;
	uint32_t attributes;
	uint64_t min_size, max_size;
	enum content_check check;
};

/* mGlobalVariableList: exact names under EFI_GLOBAL_VARIABLE. */
static const struct uefi_var global_vars[] = {
	{ "LangCodes", 0, BS | RT, 1, ANY, CHECK_ASCII },
	{ "Lang", 0, NV | BS | RT, 1, ANY, CHECK_ASCII },
	{ "Timeout", 0, NV | BS | RT, 2, 2, CHECK_NONE },
	{ "PlatformLangCodes", 0, BS | RT, 1, ANY, CHECK_ASCII },
	{ "PlatformLang", 0, NV | BS | RT, 1, ANY, CHECK_ASCII },
	{ "ConIn", 0, NV | BS | RT, DP_HEADER, ANY, CHECK_DEVICE_PATH },
	{ "ConOut", 0, NV | BS | RT, DP_HEADER, ANY, CHECK_DEVICE_PATH },
	{ "ErrOut", 0, NV | BS | RT, DP_HEADER, ANY, CHECK_DEVICE_PATH },
	{ "ConInDev", 0, BS | RT, DP_HEADER, ANY, CHECK_DEVICE_PATH },
	{ "ConOutDev", 0, BS | RT, DP_HEADER, ANY, CHECK_DEVICE_PATH },
	{ "ErrOutDev", 0, BS | RT, DP_HEADER, ANY, CHECK_DEVICE_PATH },
	{ "BootOrder", 0, NV | BS | RT, 2, ANY, CHECK_SIZE_ARRAY },
	{ "BootNext", 0, NV | BS | RT, 2, 2, CHECK_NONE },
	{ "BootCurrent", 0, BS | RT, 2, 2, CHECK_NONE },
	{ "BootOptionSupport", 0, BS | RT, 4, 4, CHECK_NONE },
	{ "DriverOrder", 0, NV | BS | RT, 2, ANY, CHECK_SIZE_ARRAY },
	{ "SysPrepOrder", 0, NV | BS | RT, 2, ANY, CHECK_SIZE_ARRAY },
	{ "HwErrRecSupport", 0, NV | BS | RT, 2, 2, CHECK_NONE },
	{ "SetupMode", RO, BS | RT, 1, 1, CHECK_NONE },
	{ "KEK", 0, NV | BS | RT | AT, 1, ANY, CHECK_NONE },
	{ "PK", 0, NV | BS | RT | AT, 1, ANY, CHECK_NONE },
	{ "SignatureSupport", RO, BS | RT, 16, ANY, CHECK_SIZE_ARRAY },
	{ "SecureBoot", RO, BS | RT, 1, 1, CHECK_NONE },
	{ "KEKDefault", RO, BS | RT, 1, ANY, CHECK_NONE },
	{ "PKDefault", RO, BS | RT, 1, ANY, CHECK_NONE },
	{ "dbDefault", RO, BS | RT, 1, ANY, CHECK_NONE },
	{ "dbxDefault", RO, BS | RT, 1, ANY, CHECK_NONE },
	{ "dbtDefault", RO, BS | RT, 1, ANY, CHECK_NONE },
	{ "OsIndicationsSupported", 0, BS | RT, 8, 8, CHECK_NONE },
	{ "OsIndications", 0, NV | BS | RT, 8, 8, CHECK_NONE },
	{ "VendorKeys", RO, BS | RT, 1, 1, CHECK_NONE },
};

/* mGlobalVariableList2: wildcard names under EFI_GLOBAL_VARIABLE. */
static const struct uefi_var global_wildcards[] = {
	{ "Boot####", 0, NV | BS | RT, 6, ANY, CHECK_LOAD_OPTION },
	{ "Driver####", 0, NV | BS | RT, 6, ANY, CHECK_LOAD_OPTION },
	{ "SysPrep####", 0, NV | BS | RT, 6, ANY, CHECK_LOAD_OPTION },
	{ "Key####", 0, NV | BS | RT, KEY_OPTION, KEY_OPTION + 3 * INPUT_KEY, CHECK_KEY_OPTION },
	{ "PlatformRecovery####", 0, BS | RT, 6, ANY, CHECK_LOAD_OPTION },
};

/* mImageSecurityVariableList: EFI_IMAGE_SECURITY_DATABASE_GUID. */
static const struct uefi_var image_security_vars[] = {
	{ "db", 0, NV | BS | RT | AT, 1, ANY, CHECK_NONE },
	{ "dbx", 0, NV | BS | RT | AT, 1, ANY, CHECK_NONE },
	{ "dbt", 0, NV | BS | RT | AT, 1, ANY, CHECK_NONE },
};

/* mHwErrRecVariable: EFI_HARDWARE_ERROR_VARIABLE. */
static const struct uefi_var hwerr_var = { "HwErrRec####", 0, NV | BS | RT | HR, 1, ANY,
					   CHECK_NONE };

static const efi_guid_t guid_global = EFI_GLOBAL_VARIABLE_GUID;
static const efi_guid_t guid_image_security = EFI_IMAGE_SECURITY_DATABASE_GUID;
static const efi_guid_t guid_hwerr = EFI_HARDWARE_ERROR_VARIABLE_GUID;

static bool guid_eq(const efi_guid_t *a, const efi_guid_t *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

/* Characters before the NUL (StrLen); name_size counts the NUL. */
static size_t name_len(size_t name_size)
{
	return name_size >= 2 ? name_size / 2 - 1 : 0;
}

static uint16_t ch(const uint8_t *name, size_t i)
{
	return get_le16(name + 2 * i);
}

/* StrCmp against an ASCII name. */
static bool name_is(const uint8_t *name, size_t name_size, const char *ascii)
{
	size_t n = strlen(ascii);

	if (name_len(name_size) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (ch(name, i) != (uint8_t)ascii[i])
			return false;
	return true;
}

static bool hex_upper(uint16_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static bool hex_any(uint16_t c)
{
	return hex_upper(c) || (c >= 'a' && c <= 'f');
}

/*
 * A wildcard match as VariablePropertyGetWithWildcardName (upper-case digits only) or
 * GetUefiDefinedVarCheckFunction / IsHwErrRecVariable (either case) do it: same length,
 * same prefix, four hex digits.
 */
static bool wildcard_is(const uint8_t *name, size_t name_size, const char *pattern,
			bool (*hex)(uint16_t))
{
	size_t n = strlen(pattern), prefix = n - 4;

	if (name_len(name_size) != n)
		return false;
	for (size_t i = 0; i < prefix; i++)
		if (ch(name, i) != (uint8_t)pattern[i])
			return false;
	for (size_t i = prefix; i < n; i++)
		if (!hex(ch(name, i)))
			return false;
	return true;
}

static void to_property(const struct uefi_var *v, struct var_check_variable_property *ret)
{
	*ret = (struct var_check_variable_property){
		.revision = VAR_CHECK_VARIABLE_PROPERTY_REVISION,
		.property = v->property,
		.attributes = v->attributes,
		.min_size = v->min_size,
		.max_size = v->max_size,
	};
}

/* The table entry VarCheckLib finds: exact names first, then the wildcard table. */
static const struct uefi_var *lookup(const efi_guid_t *guid, const uint8_t *name,
				     size_t name_size)
{
	if (guid_eq(guid, &guid_global)) {
		for (size_t i = 0; i < G_N_ELEMENTS(global_vars); i++)
			if (name_is(name, name_size, global_vars[i].name))
				return &global_vars[i];
		for (size_t i = 0; i < G_N_ELEMENTS(global_wildcards); i++)
			if (wildcard_is(name, name_size, global_wildcards[i].name, hex_upper))
				return &global_wildcards[i];
	} else if (guid_eq(guid, &guid_image_security)) {
		for (size_t i = 0; i < G_N_ELEMENTS(image_security_vars); i++)
			if (name_is(name, name_size, image_security_vars[i].name))
				return &image_security_vars[i];
	} else if (guid_eq(guid, &guid_hwerr)) {
		if (wildcard_is(name, name_size, hwerr_var.name, hex_upper))
			return &hwerr_var;
	}
	return NULL;
}

bool varcheck_uefi_property(const efi_guid_t *guid, const uint8_t *name, size_t name_size,
			    struct var_check_variable_property *ret_prop)
{
	const struct uefi_var *v = lookup(guid, name, name_size);

	if (!v)
		return false;
	to_property(v, ret_prop);
	return true;
}

bool varcheck_uefi_device_path_valid(const uint8_t *dp, uint64_t max_size)
{
	uint64_t size = 0, off = 0;

	if (max_size > 0 && max_size < DP_HEADER)
		return false;
	if (max_size == 0)
		max_size = UINT64_MAX;
	/* Walk nodes until the end node (type 0x7F, sub-type 0xFF). */
	while (!(dp[off] == 0x7f && dp[off + 1] == 0xff)) {
		uint64_t len = get_le16(dp + off + 2);

		if (len < DP_HEADER || len > UINT64_MAX - size)
			return false;
		size += len;
		if (size > max_size - DP_HEADER)
			return false; /* the next node would not fit */
		/* A file path node (MEDIA_DEVICE_PATH 4, MEDIA_FILEPATH_DP 4) ends with a NUL. */
		if (dp[off] == 4 && dp[off + 1] == 4 && get_le16(dp + off + len - 2) != 0)
			return false;
		off += len;
	}
	return get_le16(dp + off + 2) == DP_HEADER;
}

/* InternalVarCheckLoadOption: Attributes, FilePathListLength, Description, FilePathList. */
static bool load_option_valid(const uint8_t *data, uint64_t size)
{
	uint64_t fpl_len = get_le16(data + 4), p = 6;

	/* The description is a NUL-terminated CHAR16 string inside the data. */
	for (; p < size; p += 2) {
		/* A last odd byte: edk2 reads one byte past the data; we count it as 0. */
		uint16_t c = p + 1 < size ? get_le16(data + p) : data[p];
		if (c == 0)
			break;
	}
	if (p >= size)
		return false;
	p += 2;
	if (p + fpl_len > size || fpl_len < DP_HEADER)
		return false;
	return varcheck_uefi_device_path_valid(data + p, fpl_len);
}

/* InternalVarCheckAsciiString: some NUL byte anywhere in the data. */
static bool ascii_valid(const uint8_t *data, uint64_t size)
{
	return memchr(data, 0, size) != NULL;
}

static efi_status_t content_check(const struct uefi_var *v, const uint8_t *data, uint64_t size)
{
	switch (v->check) {
	case CHECK_LOAD_OPTION:
		return load_option_valid(data, size) ? EFI_SUCCESS : EFI_INVALID_PARAMETER;
	case CHECK_KEY_OPTION:
		/* (DataSize - sizeof (EFI_KEY_OPTION)) % sizeof (EFI_INPUT_KEY), UINTN arithmetic. */
		return (size - KEY_OPTION) % INPUT_KEY ? EFI_INVALID_PARAMETER : EFI_SUCCESS;
	case CHECK_DEVICE_PATH:
		return varcheck_uefi_device_path_valid(data, size) ? EFI_SUCCESS
								  : EFI_INVALID_PARAMETER;
	case CHECK_ASCII:
		return ascii_valid(data, size) ? EFI_SUCCESS : EFI_INVALID_PARAMETER;
	case CHECK_SIZE_ARRAY:
		return size % v->min_size ? EFI_INVALID_PARAMETER : EFI_SUCCESS;
	case CHECK_NONE:
		break;
	}
	return EFI_SUCCESS;
}

/* GetUefiDefinedVarCheckFunction: global GUID only, hex digits of either case. */
static const struct uefi_var *content_rule(const efi_guid_t *guid, const uint8_t *name,
					   size_t name_size)
{
	if (!guid_eq(guid, &guid_global))
		return NULL;
	for (size_t i = 0; i < G_N_ELEMENTS(global_vars); i++)
		if (name_is(name, name_size, global_vars[i].name))
			return &global_vars[i];
	for (size_t i = 0; i < G_N_ELEMENTS(global_wildcards); i++)
		if (wildcard_is(name, name_size, global_wildcards[i].name, hex_any))
			return &global_wildcards[i];
	return NULL;
}

efi_status_t varcheck_uefi_check(const efi_guid_t *guid, const uint8_t *name, size_t name_size,
				 uint32_t attributes, const uint8_t *data, uint64_t data_size,
				 bool has_property)
{
	const struct uefi_var *v;

	/* A delete is not checked. */
	if ((!(attributes & EFI_VARIABLE_APPEND_WRITE) && data_size == 0) || attributes == 0)
		return EFI_SUCCESS;
	/* IsHwErrRecVariable: HR needs EFI_HARDWARE_ERROR_VARIABLE and HwErrRec####. */
	if ((attributes & HR) &&
	    (!guid_eq(guid, &guid_hwerr) || !wildcard_is(name, name_size, "HwErrRec####", hex_any)))
		return EFI_INVALID_PARAMETER;
	/* mUefiDefinedGuid: a name UEFI does not define has no property there. */
	if ((guid_eq(guid, &guid_global) || guid_eq(guid, &guid_image_security) ||
	     guid_eq(guid, &guid_hwerr)) && !has_property)
		return EFI_INVALID_PARAMETER;
	if (data_size == 0)
		return EFI_SUCCESS;
	v = content_rule(guid, name, name_size);
	return v ? content_check(v, data, data_size) : EFI_SUCCESS;
}
