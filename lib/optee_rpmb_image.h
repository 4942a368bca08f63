/* SPDX-License-Identifier: MIT */
/*
 * Reading OP-TEE's RPMB file system from a raw partition image (256-byte blocks from
 * address 0, as `mmc rpmb read-block` dumps it or rpmbd's database holds it), offline:
 * the partition header, the FAT, and with the HUK the decrypted data of a file.  Layout in
 * include/optee_rpmb_fs.h, crypto in optee_fs_crypto.h.  Every length and address of the
 * image is bounded; a bad image gives -EBADMSG and a message naming the block.
 */
#ifndef STMM_EMU_OPTEE_RPMB_IMAGE_H
#define STMM_EMU_OPTEE_RPMB_IMAGE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "optee_rpmb_fs.h"

struct optee_rpmb_file {
	uint32_t fat_address;   /* byte address of its FAT entry */
	uint32_t start_address; /* of its data */
	uint32_t data_size;
	uint32_t flags;         /* RPMB_FS_FILE_IS_* */
	char name[RPMB_FS_FILENAME_LENGTH + 1];
};

/*
 * The FAT's entries in order up to its terminator (free entries included, flags 0).
 * 0, -ENODATA when block 0 holds no RPMB FS (no magic), or -EBADMSG (message in err).
 */
__attribute__((warn_unused_result)) int optee_rpmb_image_list(const uint8_t *img, size_t len,
							      GArray **ret_files, GString *err);

/*
 * The plaintext of the active file `name` ("/UUIDHEX/OBJHEX"; its owner's UUID is taken
 * from the name), decrypted with the keys derived from `huk`.  -ENOENT when there is no
 * such file, else as optee_rpmb_image_list.
 */
__attribute__((warn_unused_result)) int optee_rpmb_image_read_file(const uint8_t *img, size_t len,
								   const uint8_t huk[OPTEE_HUK_SIZE],
								   const char *name, GBytes **ret_data,
								   GString *err);
/*
 * The same, up to its first max_bytes bytes (fewer when the file is shorter): only the
 * blocks that hold them are decrypted (`stmm-emu up`'s layout guard reads two headers).
 */
__attribute__((warn_unused_result)) int optee_rpmb_image_read_file_head(
	const uint8_t *img, size_t len, const uint8_t huk[OPTEE_HUK_SIZE], const char *name,
	size_t max_bytes, GBytes **ret_data, GString *err);

#endif
