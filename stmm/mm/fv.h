/* SPDX-License-Identifier: MIT */
/*
 * EDK2's on-flash variable format as pure functions on a byte image (no I/O, no index):
 * building and checking the firmware-volume header, the variable store header and the FTW
 * working block header, and walking 60-byte authenticated variable records.  Layouts are in
 * include/edk2_store.h; facts in shared/research/mm-variable-protocol.md §4.2, §5.
 *
 * Record layout (AArch64 and x86 builds: edk2 ALIGNMENT 1): header (60) | name | data, no
 * padding between name and data; the next header starts at the next 4-byte boundary.
 * Erased bytes are 0xFF.
 */
#ifndef STMM_EMU_STMM_FV_H
#define STMM_EMU_STMM_FV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edk2_store.h"

#define FV_ERASED_BYTE 0xffu
#define FV_RECORD_HEADER_SIZE ((uint32_t)sizeof(struct authenticated_variable_header))

/* What a valid FV header says. */
struct fv_info {
	uint64_t fv_length;
	uint16_t header_length;
};

/* Bytes of a record without its alignment padding / with it. */
static inline uint64_t fv_record_raw_size(uint64_t name_size, uint64_t data_size)
{
	return FV_RECORD_HEADER_SIZE + name_size + data_size;
}
static inline uint64_t fv_align(uint64_t n)
{
	return (n + VARIABLE_HEADER_ALIGNMENT - 1) & ~(uint64_t)(VARIABLE_HEADER_ALIGNMENT - 1);
}

/* 16-bit word sum (little endian) of `len` bytes (len even). */
uint16_t fv_sum16(const uint8_t *buf, size_t len);
/* CRC-32 (IEEE 802.3, reflected, as edk2's CalculateCrc32). */
uint32_t fv_crc32(const uint8_t *buf, size_t len);

/*
 * Write the 72-byte FV header for a variable FV of `fv_length` bytes (one block-map entry of
 * STMM_FV_BLOCK_SIZE blocks plus the terminator, checksum filled in), as OpTeeRpmbFvb does.
 */
void fv_build_fv_header(uint8_t buf[EDK2_FV_HEADER_LENGTH], uint64_t fv_length);
/* Write a VARIABLE_STORE_HEADER (authenticated format, formatted, healthy). */
void fv_build_store_header(uint8_t buf[sizeof(struct variable_store_header)], uint32_t size);
/* Write a valid FTW working block header for a working area of `working_size` bytes. */
void fv_build_ftw_header(uint8_t buf[sizeof(struct ftw_working_block_header)],
			 uint32_t working_size);

/*
 * Check the FV header at the start of `buf`: signature, revision, header length, checksum,
 * FileSystemGuid.  0 and *ret_info, or -EINVAL.  FvLength is reported, not checked.
 */
__attribute__((warn_unused_result)) int fv_check_fv_header(const uint8_t *buf, size_t len,
							   struct fv_info *ret_info);
/*
 * Check the variable store header at `buf` (authenticated signature, formatted, healthy,
 * size >= its own header and <= max_size).  0 and *ret_size, or -EINVAL.
 */
__attribute__((warn_unused_result)) int fv_check_store_header(const uint8_t *buf, size_t max_size,
							      uint32_t *ret_size);
/* Signature, valid bits and CRC of an FTW working block header.  true if valid. */
bool fv_ftw_header_valid(const uint8_t *buf, size_t len);

/* One record as found on flash.  Offsets are relative to the image passed in. */
struct fv_record {
	uint32_t off;        /* header */
	uint8_t state;
	uint32_t attributes;
	uint64_t monotonic_count;
	struct efi_time time_stamp;
	uint32_t pub_key_index;
	uint32_t name_size;
	uint32_t data_size;
	efi_guid_t guid;
	uint32_t name_off;
	uint32_t data_off;
	uint32_t next_off;   /* where the next header would start (aligned; may exceed end) */
};

/*
 * Parse the record at `off`, which must end by `end`.  0; -ENOENT when there is no record
 * (not enough room for a header, or StartId is not 0x55AA: the end of the records, as
 * edk2's IsValidVariableHeader); -EBADMSG when the header's sizes run past `end` (a torn or
 * corrupt record: the walk stops there too).
 */
__attribute__((warn_unused_result)) int fv_record_parse(const uint8_t *image, uint32_t off,
							uint32_t end, struct fv_record *ret_rec);

/* The fields of a record to build. */
struct fv_record_fields {
	uint8_t state;
	uint32_t attributes;
	uint64_t monotonic_count;
	struct efi_time time_stamp;
	uint32_t pub_key_index;
	efi_guid_t guid;
	const uint8_t *name;
	uint32_t name_size;
	const uint8_t *data;
	uint32_t data_size;
};
/* Serialize header + name + data (fv_record_raw_size bytes) into dst; Reserved is 0. */
void fv_record_build(uint8_t *dst, const struct fv_record_fields *f);

#endif
