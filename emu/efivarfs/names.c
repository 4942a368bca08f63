/* SPDX-License-Identifier: MIT */
/* efivarfs file names: "<Name>-<guid>", validated as fs/efivarfs does. */
#include <errno.h>
#include <string.h>

#include <glib.h>

#include "efi_util.h"
#include "efivarfs.h"

#define GUID_TEXT_LEN 36

/* LINUX_EFI_RANDOM_SEED_TABLE_GUID 1ce1e5bc-7ceb-42f2-81e5-8aadf180f57b */
static const efi_guid_t random_seed_guid = { { 0xbc, 0xe5, 0xe1, 0x1c, 0xeb, 0x7c, 0xf2, 0x42,
					       0x81, 0xe5, 0x8a, 0xad, 0xf1, 0x80, 0xf5, 0x7b } };

int efivarfs_kernel_from_name(const char *s, enum efivarfs_kernel *ret)
{
	if (!s)
		return -EINVAL;
	if (strcmp(s, "6.13") == 0)
		*ret = EFIVARFS_KERNEL_6_13;
	else if (strcmp(s, "6.14-rc1") == 0 || strcmp(s, "selftests") == 0)
		*ret = EFIVARFS_KERNEL_6_14_RC1;
	else if (strcmp(s, "6.14+") == 0 || strcmp(s, "6.14") == 0)
		*ret = EFIVARFS_KERNEL_6_14;
	else
		return -EINVAL;
	return 0;
}

const char *efivarfs_kernel_name(enum efivarfs_kernel k)
{
	switch (k) {
	case EFIVARFS_KERNEL_6_13:
		return "6.13";
	case EFIVARFS_KERNEL_6_14_RC1:
		return "6.14-rc1";
	case EFIVARFS_KERNEL_6_14:
		return "6.14+";
	}
	return "?";
}

bool efivarfs_valid_name(const char *s, size_t len)
{
	efi_guid_t g;
	char guid[GUID_TEXT_LEN + 1];

	if (len < GUID_TEXT_LEN + 2)
		return false;
	if (s[len - GUID_TEXT_LEN - 1] != '-')
		return false;
	memcpy(guid, s + len - GUID_TEXT_LEN, GUID_TEXT_LEN);
	guid[GUID_TEXT_LEN] = '\0';
	return efi_guid_parse(guid, &g) == 0;
}

int efivarfs_parse_name(const char *fname, uint8_t **ret_name, size_t *ret_name_size,
			efi_guid_t *ret_guid)
{
	size_t len = strlen(fname);
	efi_guid_t g;

	if (!efivarfs_valid_name(fname, len))
		return -EINVAL;
	if (efi_guid_parse(fname + len - GUID_TEXT_LEN, &g) < 0)
		return -EINVAL;
	g_autofree char *name = g_strndup(fname, len - GUID_TEXT_LEN - 1);
	g_autofree uint8_t *ucs2 = NULL;
	size_t size = 0;
	if (ucs2_from_utf8(name, &ucs2, &size) < 0)
		return -EINVAL;
	*ret_name = g_steal_pointer(&ucs2);
	*ret_name_size = size;
	*ret_guid = g;
	return 0;
}

char *efivarfs_file_name(const uint8_t *name, size_t name_size, const efi_guid_t *guid)
{
	g_autofree char *utf8 = NULL;
	char gbuf[EFI_GUID_STRING_SIZE];

	if (ucs2_to_utf8(name, name_size, &utf8) < 0 || !*utf8 || strchr(utf8, '/'))
		return NULL;
	g_autofree char *lower = g_ascii_strdown(efi_guid_format(guid, gbuf), -1);
	return g_strdup_printf("%s-%s", utf8, lower);
}

bool efivarfs_guid_hidden(const efi_guid_t *guid)
{
	return efi_guid_equal(guid, &random_seed_guid);
}
