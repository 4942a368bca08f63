/* SPDX-License-Identifier: MIT */
#include "esl_owner.h"

#include <string.h>

#include "bytes.h"

#define AUTH2_TIME_SIZE 16u /* EFI_TIME */
#define ESL_HEADER_SIZE 28u /* SignatureType GUID, ListSize, HeaderSize, SignatureSize */
#define GUID_SIZE       16u

unsigned esl_zero_owners(const uint8_t *data, size_t size)
{
	static const uint8_t zero[GUID_SIZE];
	unsigned zeros = 0;

	if (size < AUTH2_TIME_SIZE + 8)
		return 0;
	uint32_t cert_len = get_le32(data + AUTH2_TIME_SIZE); /* WIN_CERTIFICATE.dwLength */
	if (cert_len < 8 || cert_len > size - AUTH2_TIME_SIZE)
		return 0;
	size_t off = AUTH2_TIME_SIZE + cert_len;
	while (size - off >= ESL_HEADER_SIZE) {
		const uint8_t *l = data + off;
		uint32_t list = get_le32(l + 16), hdr = get_le32(l + 20), sig = get_le32(l + 24);
		if (list < ESL_HEADER_SIZE || list > size - off || sig < GUID_SIZE ||
		    hdr > list - ESL_HEADER_SIZE || (list - ESL_HEADER_SIZE - hdr) % sig)
			return zeros; /* not a signature list: nothing more to say */
		for (size_t s = ESL_HEADER_SIZE + hdr; s + sig <= list; s += sig)
			if (memcmp(l + s, zero, GUID_SIZE) == 0)
				zeros++;
		off += list;
	}
	return zeros;
}
