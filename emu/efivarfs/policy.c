/* SPDX-License-Identifier: MIT */
/*
 * What Linux checks itself before a write reaches firmware (drivers/firmware/efi/vars.c's
 * whitelist of variables that may be removed, with a content check for each) and how it
 * turns an EFI status into an errno (efi_status_to_err()).  Written from the behaviour
 * described in research/next-wave-anchors.md §1.1.
 */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "efi.h"
#include "efi_util.h"
#include "efivarfs.h"

enum check { CHECK_NONE, CHECK_UINT16, CHECK_BOOT_ORDER, CHECK_LOAD_OPTION, CHECK_DEVICE_PATH,
	     CHECK_ASCII };

/* EFI_GLOBAL_VARIABLE 8be4df61-93ca-11d2-aa0d-00e098032b8c */
static const efi_guid_t global_guid = { { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa,
					  0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c } };
/* LINUX_EFI_CRASH_GUID cfc8fc79-be2e-4ddc-97f0-9f98bfe298a0 */
static const efi_guid_t crash_guid = { { 0x79, 0xfc, 0xc8, 0xcf, 0x2e, 0xbe, 0xdc, 0x4d, 0x97,
					 0xf0, 0x9f, 0x98, 0xbf, 0xe2, 0x98, 0xa0 } };

/* First match wins; a trailing '*' matches any rest (BootNext before Boot*). */
static const struct {
	const efi_guid_t *guid;
	const char *pattern;
	enum check check;
} whitelist[] = {
	{ &global_guid, "BootNext", CHECK_UINT16 },
	{ &global_guid, "BootOrder", CHECK_BOOT_ORDER },
	{ &global_guid, "Boot*", CHECK_LOAD_OPTION },
	{ &global_guid, "DriverOrder", CHECK_BOOT_ORDER },
	{ &global_guid, "Driver*", CHECK_LOAD_OPTION },
	{ &global_guid, "ConIn", CHECK_DEVICE_PATH },
	{ &global_guid, "ConInDev", CHECK_DEVICE_PATH },
	{ &global_guid, "ConOut", CHECK_DEVICE_PATH },
	{ &global_guid, "ConOutDev", CHECK_DEVICE_PATH },
	{ &global_guid, "ErrOut", CHECK_DEVICE_PATH },
	{ &global_guid, "ErrOutDev", CHECK_DEVICE_PATH },
	{ &global_guid, "Lang", CHECK_ASCII },
	{ &global_guid, "OsIndications", CHECK_NONE },
	{ &global_guid, "PlatformLang", CHECK_ASCII },
	{ &global_guid, "Timeout", CHECK_UINT16 },
	{ &crash_guid, "*", CHECK_NONE },
};

/* Index of the whitelist entry for (name, guid), *ret_prefix = chars before a '*'; -1. */
static int lookup(const char *name, const efi_guid_t *guid, size_t *ret_prefix)
{
	for (size_t i = 0; i < G_N_ELEMENTS(whitelist); i++) {
		const char *p = whitelist[i].pattern;
		const char *star = strchr(p, '*');
		if (!efi_guid_equal(guid, whitelist[i].guid))
			continue;
		if (star) {
			size_t n = (size_t)(star - p);
			if (strncmp(name, p, n) != 0)
				continue;
			*ret_prefix = n;
			return (int)i;
		}
		if (strcmp(name, p) == 0) {
			*ret_prefix = strlen(p);
			return (int)i;
		}
	}
	return -1;
}

bool efivarfs_is_removable(const char *name, const efi_guid_t *guid)
{
	size_t prefix;
	return lookup(name, guid, &prefix) >= 0;
}

/* Nodes {type, subtype, u16 length} up to an end-of-entire-path node inside `size`. */
static bool valid_device_path(const uint8_t *p, size_t size)
{
	while (size >= 4) {
		size_t len = (size_t)p[2] | (size_t)p[3] << 8;
		if (len < 4 || len > size)
			return false;
		if ((p[0] == 0x7f || p[0] == 0xff) && p[1] == 0xff)
			return true;
		p += len;
		size -= len;
	}
	return false;
}

/* Boot####/Driver####: u32 attributes, u16 path length, UCS-2 description, path. */
static bool valid_load_option(const char *name, size_t prefix, const uint8_t *d, size_t size)
{
	for (size_t i = prefix; i < prefix + 4; i++)
		if (!g_ascii_isxdigit(name[i]))
			return true; /* BootCurrent, BootOptionSupport...: no check */
	if (strlen(name) > prefix + 4)
		return false;
	if (size < 8)
		return false;
	size_t path_len = (size_t)d[4] | (size_t)d[5] << 8;
	size_t chars = 0, max = (size - 6) / 2;
	while (chars < max && (d[6 + 2 * chars] | d[7 + 2 * chars]))
		chars++;
	size_t desc_len = 2 * chars + 2;
	if (desc_len + 6 > size)
		return false;
	if (path_len + desc_len + 6 > size)
		return false;
	return valid_device_path(d + 6 + desc_len, path_len);
}

bool efivarfs_validate(const char *name, const efi_guid_t *guid, const uint8_t *data, size_t size)
{
	size_t prefix = 0;
	int i = lookup(name, guid, &prefix);

	if (i < 0)
		return true;
	switch (whitelist[i].check) {
	case CHECK_NONE:
		return true;
	case CHECK_UINT16:
		return size == 2;
	case CHECK_BOOT_ORDER:
		return size % 2 == 0;
	case CHECK_LOAD_OPTION:
		return valid_load_option(name, prefix, data, size);
	case CHECK_DEVICE_PATH:
		return valid_device_path(data, size);
	case CHECK_ASCII:
		for (size_t k = 0; k < size; k++) {
			if (data[k] > 127)
				return false;
			if (data[k] == 0)
				return true;
		}
		return true;
	}
	return true;
}

int efivarfs_status_to_errno(efi_status_t status)
{
	switch (status) {
	case EFI_SUCCESS:
		return 0;
	case EFI_INVALID_PARAMETER:
		return EINVAL;
	case EFI_OUT_OF_RESOURCES:
		return ENOSPC;
	case EFI_DEVICE_ERROR:
		return EIO;
	case EFI_WRITE_PROTECTED:
		return EROFS;
	case EFI_SECURITY_VIOLATION:
		return EACCES;
	case EFI_NOT_FOUND:
		return ENOENT;
	case EFI_ABORTED:
		return EINTR;
	default:
		return EINVAL;
	}
}
