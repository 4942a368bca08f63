/* SPDX-License-Identifier: MIT */
#include "efi_util.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"

int efi_guid_parse(const char *s, efi_guid_t *ret_guid)
{
	/* Text order of the 16 bytes, and where each lands in the mixed-endian layout. */
	static const uint8_t pos[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	efi_guid_t g;
	size_t n = 0;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		int hi = g_ascii_xdigit_value(s[i]), lo = g_ascii_xdigit_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		g.b[pos[n++]] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	*ret_guid = g;
	return 0;
}

char *efi_guid_format(const efi_guid_t *guid, char buf[static EFI_GUID_STRING_SIZE])
{
	const uint8_t *b = guid->b;

	snprintf(buf, EFI_GUID_STRING_SIZE,
		 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", get_le32(b), get_le16(b + 4),
		 get_le16(b + 6), b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return buf;
}

bool efi_guid_equal(const efi_guid_t *a, const efi_guid_t *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

guint efi_var_key_hash(const efi_guid_t *guid, const uint8_t *name, size_t name_size)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < sizeof(guid->b); i++)
		h = (h ^ guid->b[i]) * 16777619u;
	for (size_t i = 0; i < name_size; i++)
		h = (h ^ name[i]) * 16777619u;
	return h;
}

bool efi_var_key_equal(const efi_guid_t *guid_a, const uint8_t *name_a, size_t size_a,
		       const efi_guid_t *guid_b, const uint8_t *name_b, size_t size_b)
{
	return size_a == size_b && efi_guid_equal(guid_a, guid_b) &&
	       (size_a == 0 || memcmp(name_a, name_b, size_a) == 0);
}

static const struct {
	efi_status_t status;
	const char *name;
} status_names[] = {
	{ EFI_SUCCESS, "EFI_SUCCESS" },
	{ EFI_LOAD_ERROR, "EFI_LOAD_ERROR" },
	{ EFI_INVALID_PARAMETER, "EFI_INVALID_PARAMETER" },
	{ EFI_UNSUPPORTED, "EFI_UNSUPPORTED" },
	{ EFI_BAD_BUFFER_SIZE, "EFI_BAD_BUFFER_SIZE" },
	{ EFI_BUFFER_TOO_SMALL, "EFI_BUFFER_TOO_SMALL" },
	{ EFI_NOT_READY, "EFI_NOT_READY" },
	{ EFI_DEVICE_ERROR, "EFI_DEVICE_ERROR" },
	{ EFI_WRITE_PROTECTED, "EFI_WRITE_PROTECTED" },
	{ EFI_OUT_OF_RESOURCES, "EFI_OUT_OF_RESOURCES" },
	{ EFI_VOLUME_CORRUPTED, "EFI_VOLUME_CORRUPTED" },
	{ EFI_VOLUME_FULL, "EFI_VOLUME_FULL" },
	{ EFI_NO_MEDIA, "EFI_NO_MEDIA" },
	{ EFI_MEDIA_CHANGED, "EFI_MEDIA_CHANGED" },
	{ EFI_NOT_FOUND, "EFI_NOT_FOUND" },
	{ EFI_ACCESS_DENIED, "EFI_ACCESS_DENIED" },
	{ EFI_NO_RESPONSE, "EFI_NO_RESPONSE" },
	{ EFI_NO_MAPPING, "EFI_NO_MAPPING" },
	{ EFI_TIMEOUT, "EFI_TIMEOUT" },
	{ EFI_NOT_STARTED, "EFI_NOT_STARTED" },
	{ EFI_ALREADY_STARTED, "EFI_ALREADY_STARTED" },
	{ EFI_ABORTED, "EFI_ABORTED" },
	{ EFI_ICMP_ERROR, "EFI_ICMP_ERROR" },
	{ EFI_TFTP_ERROR, "EFI_TFTP_ERROR" },
	{ EFI_PROTOCOL_ERROR, "EFI_PROTOCOL_ERROR" },
	{ EFI_INCOMPATIBLE_VERSION, "EFI_INCOMPATIBLE_VERSION" },
	{ EFI_SECURITY_VIOLATION, "EFI_SECURITY_VIOLATION" },
	{ EFI_CRC_ERROR, "EFI_CRC_ERROR" },
	{ EFI_END_OF_MEDIA, "EFI_END_OF_MEDIA" },
	{ EFI_END_OF_FILE, "EFI_END_OF_FILE" },
	{ EFI_INVALID_LANGUAGE, "EFI_INVALID_LANGUAGE" },
	{ EFI_COMPROMISED_DATA, "EFI_COMPROMISED_DATA" },
};

const char *efi_status_name(efi_status_t status)
{
	for (size_t i = 0; i < G_N_ELEMENTS(status_names); i++)
		if (status_names[i].status == status)
			return status_names[i].name;
	return NULL;
}

const char *efi_status_str(efi_status_t status, char *buf, size_t size)
{
	const char *name = efi_status_name(status);

	if (name)
		return name;
	snprintf(buf, size, "EFI status 0x%016llx", (unsigned long long)status);
	return buf;
}

int efi_status_from_name(const char *name, efi_status_t *ret)
{
	for (size_t i = 0; i < G_N_ELEMENTS(status_names); i++) {
		const char *n = status_names[i].name;
		if (g_ascii_strcasecmp(n, name) == 0 || g_ascii_strcasecmp(n + 4, name) == 0) {
			*ret = status_names[i].status;
			return 0;
		}
	}
	return -EINVAL;
}

int ucs2_from_utf8(const char *s, uint8_t **ret_name, size_t *ret_size)
{
	g_autofree gunichar2 *u16 = NULL;
	glong n = 0;

	if (!g_utf8_validate(s, -1, NULL))
		return -EINVAL;
	for (const char *p = s; *p; p = g_utf8_next_char(p))
		if (g_utf8_get_char(p) > 0xffff)
			return -EINVAL; /* UCS-2 has no surrogate pairs */
	u16 = g_utf8_to_utf16(s, -1, NULL, &n, NULL);
	if (!u16)
		return -EINVAL;
	size_t size = ((size_t)n + 1) * 2;
	uint8_t *out = g_malloc(size);
	for (glong i = 0; i <= n; i++)
		put_le16(out + 2 * i, u16[i]);
	*ret_name = out;
	*ret_size = size;
	return 0;
}

int ucs2_to_utf8(const uint8_t *name, size_t size, char **ret_str)
{
	size_t n = 0;

	while (2 * n + 1 < size && get_le16(name + 2 * n) != 0)
		n++;
	g_autofree gunichar2 *u16 = g_new0(gunichar2, n + 1);
	for (size_t i = 0; i < n; i++) {
		u16[i] = get_le16(name + 2 * i);
		if (u16[i] >= 0xd800 && u16[i] <= 0xdfff)
			return -EINVAL;
	}
	char *s = g_utf16_to_utf8(u16, (glong)n, NULL, NULL, NULL);
	if (!s)
		return -EINVAL;
	*ret_str = s;
	return 0;
}

int hex_decode_at(const char *s, GByteArray **ret_bytes, size_t *ret_bad)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	const char *start = s;
	int hi = -1;

	if (g_str_has_prefix(s, "0x") || g_str_has_prefix(s, "0X"))
		s += 2;
	for (; *s; s++) {
		if (g_ascii_isspace(*s) || *s == ':')
			continue;
		int v = g_ascii_xdigit_value(*s);
		if (v < 0) {
			if (ret_bad)
				*ret_bad = (size_t)(s - start);
			return -EINVAL;
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		uint8_t b = (uint8_t)(hi << 4 | v);
		g_byte_array_append(out, &b, 1);
		hi = -1;
	}
	if (hi >= 0) {
		if (ret_bad)
			*ret_bad = (size_t)(s - start);
		return -EINVAL;
	}
	*ret_bytes = g_steal_pointer(&out);
	return 0;
}

int hex_decode(const char *s, GByteArray **ret_bytes)
{
	return hex_decode_at(s, ret_bytes, NULL);
}

void emu_log_hexdump(const char *what, const void *data, size_t size)
{
	const uint8_t *p = data;

	if (g_log_writer_default_would_drop(G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
		return;
	for (size_t off = 0; off < size; off += 16) {
		char line[16 * 3 + 1];
		size_t n = size - off < 16 ? size - off : 16;
		for (size_t i = 0; i < n; i++)
			snprintf(line + 3 * i, 4, " %02x", p[off + i]);
		g_debug("%s %04zx:%s", what, off, line);
	}
}
