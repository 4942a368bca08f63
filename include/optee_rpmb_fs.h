/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's RPMB file system as it lies on the RPMB partition (optee_os
 * core/tee/tee_rpmb_fs.c, core/tee/tee_fs_key_manager.c, core/include/kernel/huk_subkey.h,
 * core/arch/arm/kernel/stmm_sp.c; rpmb-and-supplicant.md §2.8, §2.9, §3.1).
 *
 * Byte order: OP-TEE writes these structs from memory as they are, so every multi-byte
 * field is in the secure world's host order, which is little-endian on Arm (AArch64 and
 * AArch32 as OP-TEE runs them).  Parse with get_le32() / put_le32(), never by casting a
 * frame to the struct on a big-endian host.
 *
 * Layout (byte addresses on the partition, 256-byte RPMB blocks):
 *   0     struct rpmb_fs_partition (128 bytes) in block 0; block 1 unused
 *   512   the FAT: struct rpmb_fat_entry[] (256 bytes each, one per block), growing upward,
 *         ended by an entry whose flags hold RPMB_FS_FILE_IS_LAST_ENTRY
 *   top   file data, allocated downward from the start of the partition's LAST block (the
 *         last block itself is never used: OP-TEE's pool ends at max_blk_idx * 256), in
 *         256-byte units, AES-128-CBC with ESSIV per block (lib/optee_fs_crypto.h)
 */
#ifndef STMM_EMU_OPTEE_RPMB_FS_H
#define STMM_EMU_OPTEE_RPMB_FS_H

#include <stddef.h>
#include <stdint.h>

#define RPMB_FS_BLOCK_SIZE           256u  /* RPMB_DATA_SIZE; RPMB_BLOCK_SIZE_SHIFT 8 */
#define RPMB_FS_BLOCK_SHIFT          8u
#define RPMB_FS_STORAGE_START_ADDRESS 0u   /* RPMB_STORAGE_START_ADDRESS: partition header */
#define RPMB_FS_FAT_START_ADDRESS    512u  /* RPMB_FS_FAT_START_ADDRESS: first FAT entry */
#define RPMB_FS_TMP_BLOCK_SIZE       4096u /* TMP_BLOCK_SIZE: chunk of a copy update */
#define RPMB_FS_RD_ENTRIES           8u    /* CFG_RPMB_FS_RD_ENTRIES: FAT entries per read */
#define RPMB_FS_FEK_SIZE             16u   /* TEE_FS_KM_FEK_SIZE */
#define RPMB_FS_FILENAME_LENGTH      224u  /* TEE_RPMB_FS_FILENAME_LENGTH */

/* struct rpmb_fs_partition: the first 128 bytes of block 0. */
struct rpmb_fs_partition {
	uint32_t rpmb_fs_magic;     /* RPMB_FS_MAGIC */
	uint32_t fs_version;        /* RPMB_FS_VERSION; another one: "Wrong software is in use." */
	uint32_t write_counter;     /* unused by OP-TEE: kept as found */
	uint32_t fat_start_address; /* RPMB_FS_FAT_START_ADDRESS */
	uint8_t reserved[112];      /* kept as found */
};
#define RPMB_FS_MAGIC   0x52504D42u /* "RPMB" read as a little-endian word: bytes 42 4D 50 52 */
#define RPMB_FS_VERSION 2u          /* FS_VERSION */
_Static_assert(offsetof(struct rpmb_fs_partition, rpmb_fs_magic) == 0, "rpmb_fs_magic");
_Static_assert(offsetof(struct rpmb_fs_partition, fs_version) == 4, "fs_version");
_Static_assert(offsetof(struct rpmb_fs_partition, write_counter) == 8, "write_counter");
_Static_assert(offsetof(struct rpmb_fs_partition, fat_start_address) == 12, "fat_start_address");
_Static_assert(offsetof(struct rpmb_fs_partition, reserved) == 16, "reserved");
_Static_assert(sizeof(struct rpmb_fs_partition) == 128, "struct rpmb_fs_partition is 128 bytes");

/* struct rpmb_fat_entry: one FAT entry, one RPMB block. */
struct rpmb_fat_entry {
	uint32_t start_address; /* byte address of the file's data on the partition */
	uint32_t data_size;     /* bytes of file data (the allocation is rounded up to 256) */
	uint32_t flags;         /* RPMB_FS_FILE_IS_* */
	uint32_t unused;        /* write_counter before optee_os e92de4ca1 (2023): 0 in a new
				 * entry, carried over unchanged by updates */
	uint8_t fek[RPMB_FS_FEK_SIZE]; /* the file's FEK, AES-256-ECB encrypted with the TSK */
	char filename[RPMB_FS_FILENAME_LENGTH]; /* NUL-padded; see RPMB_FS_STMM_FILENAME */
};
#define RPMB_FS_FILE_IS_ACTIVE     (1u << 0) /* a live file; 0: a free entry to reuse */
#define RPMB_FS_FILE_IS_LAST_ENTRY (1u << 1) /* the FAT's terminator (never active) */
_Static_assert(offsetof(struct rpmb_fat_entry, start_address) == 0, "start_address");
_Static_assert(offsetof(struct rpmb_fat_entry, data_size) == 4, "data_size");
_Static_assert(offsetof(struct rpmb_fat_entry, flags) == 8, "flags");
_Static_assert(offsetof(struct rpmb_fat_entry, unused) == 12, "unused");
_Static_assert(offsetof(struct rpmb_fat_entry, fek) == 16, "fek");
_Static_assert(offsetof(struct rpmb_fat_entry, filename) == 32, "filename");
_Static_assert(sizeof(struct rpmb_fat_entry) == RPMB_FS_BLOCK_SIZE,
	       "struct rpmb_fat_entry is one 256-byte block");

/*
 * HUK subkey usage words (enum huk_subkey_usage; HUK_SUBKEY_RPMB 0 is OPTEE_HUK_SUBKEY_RPMB
 * in optee_rpmb.h).  huk_subkey_derive() = HMAC-SHA256(HUK, LE32(usage) || const_data).
 */
#define OPTEE_HUK_SUBKEY_SSK 1u /* Secure Storage Key: no const_data, 32 bytes */

/* A hardware unique key: HW_UNIQUE_KEY_LENGTH = CFG_HW_UNIQUE_KEY_LENGTH, 16 by default. */
#define OPTEE_HUK_SIZE 16u

/*
 * StMM's UUID ed32d533-99e6-4209-9cc0-2d72cdd998a7 (PTA_STMM_UUID, stmm_sp.c stmm_uuid) as
 * OP-TEE's core holds it in memory: a TEE_UUID {uint32 timeLow; uint16 timeMid; uint16
 * timeHiAndVersion; uint8 clockSeqAndNode[8]} in host (little-endian) order.  These are
 * the 16 bytes the key manager MACs into the TSK and create_filename() hex-encodes -- not
 * the big-endian octets of PTA_STMM_UUID_BYTES (pta_stmm.h).
 */
#define OPTEE_STMM_TEE_UUID_MEM                                                             \
	{ 0x33, 0xd5, 0x32, 0xed, 0xe6, 0x99, 0x09, 0x42,                                   \
	  0x9c, 0xc0, 0x2d, 0x72, 0xcd, 0xd9, 0x98, 0xa7 }

/* The object StMM's storage service opens (stmm_sp.c FILENAME), in TEE_STORAGE_PRIVATE_RPMB. */
#define OPTEE_STMM_OBJ_ID "EFI_VARS"
#define OPTEE_TEE_STORAGE_PRIVATE_RPMB 0x80000100u

/*
 * Its file name in the FAT (create_filename): "/" hex(TEE_UUID bytes in memory) "/"
 * hex(object id), upper-case hex digits (tee_b2hs).
 */
#define RPMB_FS_STMM_FILENAME "/33D532EDE69909429CC02D72CDD998A7/4546495F56415253"

/* The FF-A direct-request actions StMM sends to OP-TEE's storage endpoint (AArch64). */
#define FFA_SVC_RPMB_READ  0xC4000066u
#define FFA_SVC_RPMB_WRITE 0xC4000067u

#endif
