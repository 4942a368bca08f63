/* SPDX-License-Identifier: MIT */
/* EDK2 variable FV: header builders and checkers, record parsing (see fv.h). */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "fv.h"

uint16_t fv_sum16(const uint8_t *buf, size_t len)
{
	uint16_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum = (uint16_t)(sum + get_le16(buf + i));
	return sum;
}

uint32_t fv_crc32(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xffffffffu;
	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

void fv_build_fv_header(uint8_t buf[EDK2_FV_HEADER_LENGTH], uint64_t fv_length)
{
	const efi_guid_t fs = EFI_SYSTEM_NV_DATA_FV_GUID;
	const size_t off_map = offsetof(struct efi_firmware_volume_header, block_map);

	memset(buf, 0, EDK2_FV_HEADER_LENGTH);
	memcpy(buf + offsetof(struct efi_firmware_volume_header, file_system_guid), fs.b, 16);
	put_le64(buf + offsetof(struct efi_firmware_volume_header, fv_length), fv_length);
	put_le32(buf + offsetof(struct efi_firmware_volume_header, signature), EFI_FVH_SIGNATURE);
	put_le32(buf + offsetof(struct efi_firmware_volume_header, attributes),
		 EFI_FVB2_VARIABLE_STORE_ATTRIBUTES);
	put_le16(buf + offsetof(struct efi_firmware_volume_header, header_length),
		 EDK2_FV_HEADER_LENGTH);
	buf[offsetof(struct efi_firmware_volume_header, revision)] = EFI_FVH_REVISION;
	put_le32(buf + off_map, (uint32_t)(fv_length / STMM_FV_BLOCK_SIZE));
	put_le32(buf + off_map + 4, STMM_FV_BLOCK_SIZE);
	/* The {0, 0} terminator is already zero. */
	uint16_t sum = fv_sum16(buf, EDK2_FV_HEADER_LENGTH);
	put_le16(buf + offsetof(struct efi_firmware_volume_header, checksum), (uint16_t)(0u - sum));
}

void fv_build_store_header(uint8_t buf[sizeof(struct variable_store_header)], uint32_t size)
{
	const efi_guid_t sig = EFI_AUTHENTICATED_VARIABLE_GUID;

	memset(buf, 0, sizeof(struct variable_store_header));
	memcpy(buf + offsetof(struct variable_store_header, signature), sig.b, 16);
	put_le32(buf + offsetof(struct variable_store_header, size), size);
	buf[offsetof(struct variable_store_header, format)] = VARIABLE_STORE_FORMATTED;
	buf[offsetof(struct variable_store_header, state)] = VARIABLE_STORE_HEALTHY;
}

/* CRC over the header with Crc and the state byte erased. */
static uint32_t ftw_header_crc(const uint8_t *hdr)
{
	uint8_t tmp[sizeof(struct ftw_working_block_header)];

	memcpy(tmp, hdr, sizeof(tmp));
	memset(tmp + offsetof(struct ftw_working_block_header, crc), FV_ERASED_BYTE, 4);
	tmp[offsetof(struct ftw_working_block_header, state)] = FV_ERASED_BYTE;
	return fv_crc32(tmp, sizeof(tmp));
}

void fv_build_ftw_header(uint8_t buf[sizeof(struct ftw_working_block_header)],
			 uint32_t working_size)
{
	const efi_guid_t sig = EDKII_WORKING_BLOCK_SIGNATURE_GUID;
	const size_t hsize = sizeof(struct ftw_working_block_header);

	memset(buf, FV_ERASED_BYTE, hsize);
	memcpy(buf + offsetof(struct ftw_working_block_header, signature), sig.b, 16);
	put_le64(buf + offsetof(struct ftw_working_block_header, write_queue_size),
		 working_size - hsize);
	put_le32(buf + offsetof(struct ftw_working_block_header, crc), ftw_header_crc(buf));
	buf[offsetof(struct ftw_working_block_header, state)] = FTW_WORKING_BLOCK_STATE_VALID;
}

bool fv_ftw_header_valid(const uint8_t *buf, size_t len)
{
	const efi_guid_t sig = EDKII_WORKING_BLOCK_SIGNATURE_GUID;
	uint8_t state;

	if (len < sizeof(struct ftw_working_block_header))
		return false;
	if (memcmp(buf + offsetof(struct ftw_working_block_header, signature), sig.b, 16) != 0)
		return false;
	state = buf[offsetof(struct ftw_working_block_header, state)];
	if ((state & FTW_WORKING_BLOCK_VALID_BIT) != 0 || (state & FTW_WORKING_BLOCK_INVALID_BIT) == 0)
		return false;
	return get_le32(buf + offsetof(struct ftw_working_block_header, crc)) == ftw_header_crc(buf);
}

int fv_check_fv_header(const uint8_t *buf, size_t len, struct fv_info *ret_info)
{
	const efi_guid_t fs = EFI_SYSTEM_NV_DATA_FV_GUID;
	uint16_t hlen;

	if (len < EDK2_FV_HEADER_LENGTH)
		return -EINVAL;
	if (get_le32(buf + offsetof(struct efi_firmware_volume_header, signature)) != EFI_FVH_SIGNATURE)
		return -EINVAL;
	if (buf[offsetof(struct efi_firmware_volume_header, revision)] != EFI_FVH_REVISION)
		return -EINVAL;
	hlen = get_le16(buf + offsetof(struct efi_firmware_volume_header, header_length));
	/* Fixed part + at least one map entry + terminator; even; inside the buffer. */
	if (hlen < EDK2_FV_HEADER_LENGTH || (hlen & 1u) != 0 || hlen > len)
		return -EINVAL;
	if (fv_sum16(buf, hlen) != 0)
		return -EINVAL;
	if (memcmp(buf + offsetof(struct efi_firmware_volume_header, file_system_guid), fs.b, 16) != 0)
		return -EINVAL;
	*ret_info = (struct fv_info){
		.fv_length = get_le64(buf + offsetof(struct efi_firmware_volume_header, fv_length)),
		.header_length = hlen,
	};
	return 0;
}

int fv_check_store_header(const uint8_t *buf, size_t max_size, uint32_t *ret_size)
{
	const efi_guid_t sig = EFI_AUTHENTICATED_VARIABLE_GUID;
	uint32_t size;

	if (max_size < sizeof(struct variable_store_header))
		return -EINVAL;
	if (memcmp(buf + offsetof(struct variable_store_header, signature), sig.b, 16) != 0)
		return -EINVAL;
	if (buf[offsetof(struct variable_store_header, format)] != VARIABLE_STORE_FORMATTED ||
	    buf[offsetof(struct variable_store_header, state)] != VARIABLE_STORE_HEALTHY)
		return -EINVAL;
	size = get_le32(buf + offsetof(struct variable_store_header, size));
	if (size < sizeof(struct variable_store_header) || size > max_size)
		return -EINVAL;
	*ret_size = size;
	return 0;
}

int fv_record_parse(const uint8_t *image, uint32_t off, uint32_t end, struct fv_record *ret_rec)
{
	const uint8_t *h = image + off;
	struct fv_record rec;
	uint64_t raw;

	if (off > end || end - off < FV_RECORD_HEADER_SIZE)
		return -ENOENT;
	if (get_le16(h + offsetof(struct authenticated_variable_header, start_id)) != VARIABLE_DATA)
		return -ENOENT;
	rec.off = off;
	rec.state = h[offsetof(struct authenticated_variable_header, state)];
	rec.attributes = get_le32(h + offsetof(struct authenticated_variable_header, attributes));
	rec.monotonic_count =
		get_le64(h + offsetof(struct authenticated_variable_header, monotonic_count));
	memcpy(&rec.time_stamp, h + offsetof(struct authenticated_variable_header, time_stamp),
	       sizeof(rec.time_stamp));
	rec.pub_key_index = get_le32(h + offsetof(struct authenticated_variable_header, pub_key_index));
	rec.name_size = get_le32(h + offsetof(struct authenticated_variable_header, name_size));
	rec.data_size = get_le32(h + offsetof(struct authenticated_variable_header, data_size));
	memcpy(rec.guid.b, h + offsetof(struct authenticated_variable_header, vendor_guid), 16);
	raw = fv_record_raw_size(rec.name_size, rec.data_size);
	if (raw > (uint64_t)(end - off))
		return -EBADMSG;
	rec.name_off = off + FV_RECORD_HEADER_SIZE;
	rec.data_off = rec.name_off + rec.name_size;
	rec.next_off = (uint32_t)fv_align(off + raw);
	*ret_rec = rec;
	return 0;
}

void fv_record_build(uint8_t *dst, const struct fv_record_fields *f)
{
	uint8_t *h = dst;

	memset(h, 0, FV_RECORD_HEADER_SIZE);
	put_le16(h + offsetof(struct authenticated_variable_header, start_id), VARIABLE_DATA);
	h[offsetof(struct authenticated_variable_header, state)] = f->state;
	put_le32(h + offsetof(struct authenticated_variable_header, attributes), f->attributes);
	put_le64(h + offsetof(struct authenticated_variable_header, monotonic_count),
		 f->monotonic_count);
	memcpy(h + offsetof(struct authenticated_variable_header, time_stamp), &f->time_stamp,
	       sizeof(f->time_stamp));
	put_le32(h + offsetof(struct authenticated_variable_header, pub_key_index), f->pub_key_index);
	put_le32(h + offsetof(struct authenticated_variable_header, name_size), f->name_size);
	put_le32(h + offsetof(struct authenticated_variable_header, data_size), f->data_size);
	memcpy(h + offsetof(struct authenticated_variable_header, vendor_guid), f->guid.b, 16);
	memcpy(dst + FV_RECORD_HEADER_SIZE, f->name, f->name_size);
	if (f->data_size)
		memcpy(dst + FV_RECORD_HEADER_SIZE + f->name_size, f->data, f->data_size);
}
