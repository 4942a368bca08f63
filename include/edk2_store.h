/* SPDX-License-Identifier: MIT */
/*
 * EDK2's on-flash variable store: firmware-volume header with block map, the variable
 * store header and the authenticated variable header (edk2 MdePkg PiFirmwareVolume.h,
 * MdeModulePkg Guid/VariableFormat.h; all pack(1), little endian).  Checked against
 * Debian's /usr/share/OVMF/OVMF_VARS_4M.fd.  Source: mm-variable-protocol.md §4.2, §5.
 */
#ifndef STMM_EMU_EDK2_STORE_H
#define STMM_EMU_EDK2_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "efi.h"

/* gEfiSystemNvDataFvGuid, the FileSystemGuid of a variable FV. */
#define EFI_SYSTEM_NV_DATA_FV_GUID                                                          \
	EFI_GUID_INIT(0xfff12b8d, 0x7696, 0x4c8b, 0xa9, 0x85, 0x27, 0x47, 0x07, 0x5b, 0x4f, 0x50)
/* Variable-store signatures. */
#define EFI_VARIABLE_GUID                                                                   \
	EFI_GUID_INIT(0xddcf3616, 0x3275, 0x4164, 0x98, 0xb6, 0xfe, 0x85, 0x70, 0x7f, 0xfe, 0x7d)
#define EFI_AUTHENTICATED_VARIABLE_GUID                                                     \
	EFI_GUID_INIT(0xaaf32c78, 0x947b, 0x439a, 0xa1, 0x80, 0x2e, 0x14, 0x4e, 0xc3, 0x77, 0x92)

/* EFI_FV_BLOCK_MAP_ENTRY; the map ends with a {0, 0} entry. */
struct efi_fv_block_map_entry {
	uint32_t num_blocks;
	uint32_t length;
};
_Static_assert(sizeof(struct efi_fv_block_map_entry) == 8, "EFI_FV_BLOCK_MAP_ENTRY");
_Static_assert(offsetof(struct efi_fv_block_map_entry, num_blocks) == 0, "NumBlocks");
_Static_assert(offsetof(struct efi_fv_block_map_entry, length) == 4, "Length");

/* EFI_FIRMWARE_VOLUME_HEADER (56 bytes before the block map). */
struct efi_firmware_volume_header {
	uint8_t zero_vector[16];
	efi_guid_t file_system_guid;
	uint64_t fv_length;        /* whole FV including variable store and FTW areas */
	uint32_t signature;        /* EFI_FVH_SIGNATURE */
	uint32_t attributes;       /* EFI_FVB_ATTRIBUTES_2 */
	uint16_t header_length;    /* this header + block map incl. terminator */
	uint16_t checksum;         /* 16-bit sum of the header words is 0 */
	uint16_t ext_header_offset;
	uint8_t reserved;
	uint8_t revision;          /* EFI_FVH_REVISION */
	struct efi_fv_block_map_entry block_map[];
};
#define EFI_FVH_SIGNATURE 0x4856465fu /* "_FVH" */
#define EFI_FVH_REVISION  0x02
/* What OVMF and OP-TEE's OpTeeRpmbFvb put in Attributes. */
#define EFI_FVB2_VARIABLE_STORE_ATTRIBUTES 0x0004feffu
_Static_assert(offsetof(struct efi_firmware_volume_header, zero_vector) == 0, "ZeroVector");
_Static_assert(offsetof(struct efi_firmware_volume_header, file_system_guid) == 16, "FileSystemGuid");
_Static_assert(offsetof(struct efi_firmware_volume_header, fv_length) == 32, "FvLength");
_Static_assert(offsetof(struct efi_firmware_volume_header, signature) == 40, "Signature");
_Static_assert(offsetof(struct efi_firmware_volume_header, attributes) == 44, "Attributes");
_Static_assert(offsetof(struct efi_firmware_volume_header, header_length) == 48, "HeaderLength");
_Static_assert(offsetof(struct efi_firmware_volume_header, checksum) == 50, "Checksum");
_Static_assert(offsetof(struct efi_firmware_volume_header, ext_header_offset) == 52, "ExtHeaderOffset");
_Static_assert(offsetof(struct efi_firmware_volume_header, reserved) == 54, "Reserved");
_Static_assert(offsetof(struct efi_firmware_volume_header, revision) == 55, "Revision");
_Static_assert(offsetof(struct efi_firmware_volume_header, block_map) == 56, "BlockMap");
_Static_assert(sizeof(struct efi_firmware_volume_header) == 56, "EFI_FIRMWARE_VOLUME_HEADER");
/* Header + one block-map entry + terminator = 0x48, as in OVMF and OpTeeRpmbFvb. */
#define EDK2_FV_HEADER_LENGTH 72u

/* VARIABLE_STORE_HEADER, 28 bytes. */
struct variable_store_header {
	efi_guid_t signature; /* EFI_AUTHENTICATED_VARIABLE_GUID (or EFI_VARIABLE_GUID) */
	uint32_t size;        /* header + variables */
	uint8_t format;       /* VARIABLE_STORE_FORMATTED */
	uint8_t state;        /* VARIABLE_STORE_HEALTHY */
	uint16_t reserved;
	uint32_t reserved1;
};
#define VARIABLE_STORE_FORMATTED 0x5a
#define VARIABLE_STORE_HEALTHY   0xfe
_Static_assert(offsetof(struct variable_store_header, signature) == 0, "Signature");
_Static_assert(offsetof(struct variable_store_header, size) == 16, "Size");
_Static_assert(offsetof(struct variable_store_header, format) == 20, "Format");
_Static_assert(offsetof(struct variable_store_header, state) == 21, "State");
_Static_assert(offsetof(struct variable_store_header, reserved) == 22, "Reserved");
_Static_assert(offsetof(struct variable_store_header, reserved1) == 24, "Reserved1");
_Static_assert(sizeof(struct variable_store_header) == 28, "VARIABLE_STORE_HEADER");

/* AUTHENTICATED_VARIABLE_HEADER, 60 bytes; name then data follow, header 4-byte aligned. */
struct authenticated_variable_header {
	uint16_t start_id;        /* VARIABLE_DATA */
	uint8_t state;            /* VAR_* */
	uint8_t reserved;
	uint32_t attributes;
	uint64_t monotonic_count;
	struct efi_time time_stamp;
	uint32_t pub_key_index;
	uint32_t name_size;
	uint32_t data_size;
	efi_guid_t vendor_guid;
} __attribute__((packed));
#define VARIABLE_DATA 0x55aa
#define VARIABLE_HEADER_ALIGNMENT 4u
_Static_assert(offsetof(struct authenticated_variable_header, start_id) == 0, "StartId");
_Static_assert(offsetof(struct authenticated_variable_header, state) == 2, "State");
_Static_assert(offsetof(struct authenticated_variable_header, reserved) == 3, "Reserved");
_Static_assert(offsetof(struct authenticated_variable_header, attributes) == 4, "Attributes");
_Static_assert(offsetof(struct authenticated_variable_header, monotonic_count) == 8, "MonotonicCount");
_Static_assert(offsetof(struct authenticated_variable_header, time_stamp) == 16, "TimeStamp");
_Static_assert(offsetof(struct authenticated_variable_header, pub_key_index) == 32, "PubKeyIndex");
_Static_assert(offsetof(struct authenticated_variable_header, name_size) == 36, "NameSize");
_Static_assert(offsetof(struct authenticated_variable_header, data_size) == 40, "DataSize");
_Static_assert(offsetof(struct authenticated_variable_header, vendor_guid) == 44, "VendorGuid");
_Static_assert(sizeof(struct authenticated_variable_header) == 60, "AUTHENTICATED_VARIABLE_HEADER");

/* Non-authenticated VARIABLE_HEADER is 32 bytes (used only in size arithmetic). */
#define VARIABLE_HEADER_SIZE 32u

/*
 * Variable states.  Flash bits only go 1 -> 0, so transitions AND these in:
 * 0xFF (erased) -> HEADER_VALID_ONLY 0x7F -> ADDED 0x3F; an old copy gets
 * IN_DELETED_TRANSITION (0xFE) ANDed in, then DELETED (0xFD).
 */
#define VAR_IN_DELETED_TRANSITION 0xfe
#define VAR_DELETED               0xfd
#define VAR_HEADER_VALID_ONLY     0x7f
#define VAR_ADDED                 0x3f

/* OP-TEE's StMM RPMB build: variable store, FTW working and FTW spare, 16 KiB each. */
#define STMM_DEFAULT_VARIABLE_STORE_SIZE 0x4000u
#define STMM_DEFAULT_FTW_WORKING_SIZE    0x4000u
#define STMM_DEFAULT_FTW_SPARE_SIZE      0x4000u
#define STMM_FV_BLOCK_SIZE               0x1000u
/* PcdMaxVariableSize / PcdMaxAuthVariableSize / volatile store of that build. */
#define STMM_DEFAULT_MAX_VARIABLE_SIZE      0x2000u
#define STMM_DEFAULT_MAX_AUTH_VARIABLE_SIZE 0x2800u
#define STMM_DEFAULT_VOLATILE_STORE_SIZE    0x4000u

/*
 * FTW working block header (edk2 MdeModulePkg Guid/SystemNvDataGuid.h,
 * EFI_FAULT_TOLERANT_WORKING_BLOCK_HEADER), at the start of the FTW working area; the write
 * queue follows it.  Crc is the CRC-32 (IEEE) of the 32 header bytes taken with crc and
 * state set to 0xFF.  State holds two bits that, as flash bits, are "set" when 0:
 * bit 0 WorkingBlockValid, bit 1 WorkingBlockInvalid; a valid block has Valid = 0 and
 * Invalid = 1, i.e. 0xFE with the reserved bits erased (as in OVMF_VARS_4M.fd at 0x41000).
 */
#define EDKII_WORKING_BLOCK_SIGNATURE_GUID                                                  \
	EFI_GUID_INIT(0x9e58292b, 0x7c68, 0x497d, 0xa0, 0xce, 0x65, 0x00, 0xfd, 0x9f, 0x1b, 0x95)
struct ftw_working_block_header {
	efi_guid_t signature;      /* EDKII_WORKING_BLOCK_SIGNATURE_GUID */
	uint32_t crc;
	uint8_t state;             /* FTW_WORKING_BLOCK_* bits */
	uint8_t reserved3[3];
	uint64_t write_queue_size; /* working area size - sizeof(this header) */
} __attribute__((packed));
#define FTW_WORKING_BLOCK_VALID_BIT   0x01
#define FTW_WORKING_BLOCK_INVALID_BIT 0x02
#define FTW_WORKING_BLOCK_STATE_VALID 0xfe
_Static_assert(offsetof(struct ftw_working_block_header, signature) == 0, "Signature");
_Static_assert(offsetof(struct ftw_working_block_header, crc) == 16, "Crc");
_Static_assert(offsetof(struct ftw_working_block_header, state) == 20, "Valid bits");
_Static_assert(offsetof(struct ftw_working_block_header, reserved3) == 21, "Reserved3");
_Static_assert(offsetof(struct ftw_working_block_header, write_queue_size) == 24, "WriteQueueSize");
_Static_assert(sizeof(struct ftw_working_block_header) == 32, "EFI_FAULT_TOLERANT_WORKING_BLOCK_HEADER");

/*
 * The FTW write queue after the working block header (edk2 FaultTolerantWriteDxe
 * FaultTolerantWrite.h; natural alignment, not packed).  A write = one
 * EFI_FAULT_TOLERANT_WRITE_HEADER followed by NumberOfWrites records of
 * sizeof(record) + PrivateDataSize bytes.  Status bits are flash bits: erased 1
 * (FTW_INVALID_STATE), "set" 0 (FTW_VALID_STATE).
 */
struct ftw_write_header {
	uint8_t status;            /* FTW_HEADER_* bits */
	uint8_t reserved[3];
	efi_guid_t caller_id;
	uint32_t reserved2;        /* alignment of the UINT64 below */
	uint64_t number_of_writes;
	uint64_t private_data_size;
};
#define FTW_HEADER_ALLOCATED 0x01 /* HeaderAllocated */
#define FTW_WRITES_ALLOCATED 0x02 /* WritesAllocated */
#define FTW_WRITES_COMPLETED 0x04 /* Complete */
_Static_assert(offsetof(struct ftw_write_header, status) == 0, "status bits");
_Static_assert(offsetof(struct ftw_write_header, caller_id) == 4, "CallerId");
_Static_assert(offsetof(struct ftw_write_header, reserved) == 1, "reserved");
_Static_assert(offsetof(struct ftw_write_header, reserved2) == 20, "reserved2");
_Static_assert(offsetof(struct ftw_write_header, number_of_writes) == 24, "NumberOfWrites");
_Static_assert(offsetof(struct ftw_write_header, private_data_size) == 32, "PrivateDataSize");
_Static_assert(sizeof(struct ftw_write_header) == 40, "EFI_FAULT_TOLERANT_WRITE_HEADER");

struct ftw_write_record {
	uint8_t status;            /* FTW_RECORD_* bits */
	uint8_t reserved[7];
	uint64_t lba;              /* target block (of the FV's block map) */
	uint64_t offset;           /* within that block */
	uint64_t length;           /* bytes written */
	int64_t relative_offset;   /* target address - spare area address */
};
/*
 * CallerId of the writes stmm-emu's reclaim records (edk2 puts its FTW driver's FILE_GUID
 * there; ours is a project GUID, so a foreign pending write is recognised and left alone).
 */
#define STMM_EMU_FTW_CALLER_GUID                                                            \
	EFI_GUID_INIT(0x5d0b0e2c, 0x6f1e, 0x4c2a, 0x8b, 0x7e, 0x53, 0x54, 0x4d, 0x4d, 0x46, 0x54)
#define FTW_RECORD_BOOT_BLOCK_UPDATE 0x01 /* BootBlockUpdate */
#define FTW_RECORD_SPARE_COMPLETED   0x02 /* SpareComplete */
#define FTW_RECORD_DEST_COMPLETED    0x04 /* DestinationComplete */
_Static_assert(offsetof(struct ftw_write_record, status) == 0, "status bits");
_Static_assert(offsetof(struct ftw_write_record, reserved) == 1, "reserved");
_Static_assert(offsetof(struct ftw_write_record, lba) == 8, "Lba");
_Static_assert(offsetof(struct ftw_write_record, offset) == 16, "Offset");
_Static_assert(offsetof(struct ftw_write_record, length) == 24, "Length");
_Static_assert(offsetof(struct ftw_write_record, relative_offset) == 32, "RelativeOffset");
_Static_assert(sizeof(struct ftw_write_record) == 40, "EFI_FAULT_TOLERANT_WRITE_RECORD");

#endif
