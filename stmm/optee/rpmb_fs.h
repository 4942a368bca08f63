/* SPDX-License-Identifier: MIT */
/*
 * OP-TEE's RPMB file system (optee_os core/tee/tee_rpmb_fs.c, the part above the RPMB
 * frames; layout in include/optee_rpmb_fs.h, crypto in lib/optee_fs_crypto.h) on top of
 * the RPMB client, and StMM's storage service over it (core/arch/arm/kernel/stmm_sp.c
 * sec_storage_obj_read/write on "EFI_VARS").  Configuration as OP-TEE's defaults:
 * CFG_RPMB_FS_RD_ENTRIES 8, CFG_RPMB_FS_CACHE_ENTRIES 0 (the FAT is read again for every
 * operation), CFG_RPMB_RESET_FAT n, RPMB_DRIVER_MULTIPLE_WRITE_FIXED off (a write is
 * atomic only when it touches one block).
 *
 * Rules kept byte for byte:
 *  - setup, once: read block 0, write it back, read it again; format (FAT terminator at
 *    512, then the header) when the magic is missing; refuse another fs_version;
 *  - files are allocated downward from the top of the partition in 256-byte units, first
 *    fit from the top (tee_mm with TEE_MM_POOL_HI_ALLOC);
 *  - a write is done in place only if it ends within the file and touches one block;
 *    otherwise the whole new file is written elsewhere in 4 KiB chunks and the FAT entry,
 *    one block, is written last: a power cut leaves the old or the new file;
 *  - unaligned writes read, modify and write whole blocks.
 *
 * Errors are -errno, the TEE results they stand for in brackets:
 *   -ENOENT           no such file [TEE_ERROR_ITEM_NOT_FOUND]
 *   -EACCES           partition of another fs_version [TEE_ERROR_ACCESS_DENIED]
 *   -ENOSPC           no free range large enough [TEE_ERROR_STORAGE_NO_SPACE]
 *   -EUCLEAN          StMM's read came back short [TEE_ERROR_CORRUPT_OBJECT]
 *   -ENOTRECOVERABLE  the FAT is inconsistent: files overlapping each other, the FAT or
 *                     the partition's end [OUT_OF_MEMORY from tee_mm_alloc2, or a panic]
 *   -EPERM            a file without a FEK (created with encryption disabled)
 *                     [TEE_ERROR_SECURITY]
 *   -EINVAL / -ERANGE bad arguments, an address beyond 32 bits / the partition
 *   and the RPMB client's errors as it returned them (rpmb_client.h).
 *
 * Not thread-safe, like the client it uses (OP-TEE holds rpmb_mutex around each call).
 */
#ifndef STMM_EMU_STMM_RPMB_FS_H
#define STMM_EMU_STMM_RPMB_FS_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "optee_rpmb_fs.h"
#include "rpmb_client.h"
#include "store.h"

/* TEE_OBJECT_ID_MAX_LEN */
#define RPMB_FS_OBJ_ID_MAX 64u

struct rpmb_fs;
struct rpmb_fs_file;

/* The file system over client (borrowed: it must outlive the fs).  huk: OP-TEE's HUK. */
__attribute__((warn_unused_result)) int rpmb_fs_new(struct rpmb_client *client,
						    const uint8_t huk[OPTEE_HUK_SIZE],
						    struct rpmb_fs **ret_fs);
void rpmb_fs_free(struct rpmb_fs *fs);
typedef struct rpmb_fs rpmb_fs;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpmb_fs, rpmb_fs_free)

/* rpmb_fs_setup(): called by every operation; after one success a no-op until reset. */
__attribute__((warn_unused_result)) int rpmb_fs_setup(struct rpmb_fs *fs);
/* A reboot of the secure world: the next operation runs setup again. */
void rpmb_fs_reset(struct rpmb_fs *fs);

/*
 * The FAT name of object obj_id of the TA/SP whose TEE_UUID is uuid_mem (16 bytes as in
 * memory): "/" hex(uuid) "/" hex(obj_id) (create_filename).  -EINVAL if obj_id_len is 0 or
 * above RPMB_FS_OBJ_ID_MAX.
 */
__attribute__((warn_unused_result)) int
rpmb_fs_file_name(const uint8_t uuid_mem[16], const void *obj_id, size_t obj_id_len,
		  char ret_name[RPMB_FS_FILENAME_LENGTH]);

/* rpmb_fs_open: an existing file (-ENOENT if none); ret_size (may be NULL): its size. */
__attribute__((warn_unused_result)) int
rpmb_fs_open(struct rpmb_fs *fs, const uint8_t uuid_mem[16], const void *obj_id,
	     size_t obj_id_len, struct rpmb_fs_file **ret_file, size_t *ret_size);
/*
 * rpmb_fs_create with no head, attributes or data, not temporary: an empty file with a
 * new random FEK, in the first free FAT entry (or the terminator's, the FAT growing by one
 * entry); an existing file of that name is opened as it is.
 */
__attribute__((warn_unused_result)) int
rpmb_fs_create(struct rpmb_fs *fs, const uint8_t uuid_mem[16], const void *obj_id,
	       size_t obj_id_len, struct rpmb_fs_file **ret_file);
void rpmb_fs_close(struct rpmb_fs_file *file);
typedef struct rpmb_fs_file rpmb_fs_file;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpmb_fs_file, rpmb_fs_close)

/* Read up to *len bytes at pos; *len becomes what was read (0 at or after the end). */
__attribute__((warn_unused_result)) int rpmb_fs_read(struct rpmb_fs_file *file, size_t pos,
						     void *buf, size_t *len);
/* Write len bytes at pos, growing the file (a gap reads as zeros). */
__attribute__((warn_unused_result)) int rpmb_fs_write(struct rpmb_fs_file *file, size_t pos,
						      const void *buf, size_t len);
/* Clear the file's FAT entry (its data blocks stay as they are, now free). */
__attribute__((warn_unused_result)) int rpmb_fs_remove(struct rpmb_fs *fs,
						       const uint8_t uuid_mem[16],
						       const void *obj_id, size_t obj_id_len);

/* Where an open file is, as of its last operation (host order). */
struct rpmb_fs_file_info {
	uint32_t fat_address;   /* byte address of its FAT entry */
	uint32_t start_address; /* byte address of its data */
	uint32_t data_size;
};
void rpmb_fs_file_get_info(const struct rpmb_fs_file *file, struct rpmb_fs_file_info *ret_info);

/*
 * StMM's storage service (stmm_sp.c): open "EFI_VARS" of StMM's UUID, read len bytes at
 * offset (the file missing: -ENOENT; fewer bytes than len: -EUCLEAN), close.  The write
 * creates the file when it is missing, then writes.
 */
__attribute__((warn_unused_result)) int rpmb_fs_stmm_read(struct rpmb_fs *fs, uint64_t offset,
							  void *buf, size_t len);
__attribute__((warn_unused_result)) int rpmb_fs_stmm_write(struct rpmb_fs *fs, uint64_t offset,
							   const void *buf, size_t len);

/* The size of EFI_VARS (the FAT entry only, no data read).  0, -ENOENT, or as rpmb_fs_open. */
__attribute__((warn_unused_result)) int rpmb_fs_stmm_size(struct rpmb_fs *fs, size_t *ret_size);

/* The store's backend over those two (what OpTeeRpmbFvb's RPMB_READ/WRITE reach). */
void rpmb_fs_store_backend(struct rpmb_fs *fs, struct store_backend *ret_backend);

#endif
