/* SPDX-License-Identifier: MIT */
/* OP-TEE's RPMB file system read from a partition image (see optee_rpmb_image.h). */
#include "optee_rpmb_image.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <string.h>

#include "bytes.h"
#include "optee_fs_crypto.h"

int optee_rpmb_image_list(const uint8_t *img, size_t len, GArray **ret_files, GString *err)
{
	if (len < RPMB_FS_FAT_START_ADDRESS + RPMB_FS_BLOCK_SIZE || len % RPMB_FS_BLOCK_SIZE) {
		g_string_append_printf(err, "%zu bytes: not a partition of whole 256-byte blocks "
					    "holding a FAT", len);
		return -EBADMSG;
	}
	if (get_le32(img + offsetof(struct rpmb_fs_partition, rpmb_fs_magic)) != RPMB_FS_MAGIC) {
		g_string_append(err, "block 0: no \"RPMB\" magic: not OP-TEE's RPMB file system");
		return -ENODATA;
	}
	uint32_t version = get_le32(img + offsetof(struct rpmb_fs_partition, fs_version));
	uint32_t fat = get_le32(img + offsetof(struct rpmb_fs_partition, fat_start_address));
	if (version != RPMB_FS_VERSION || fat % RPMB_FS_BLOCK_SIZE || fat < RPMB_FS_FAT_START_ADDRESS ||
	    fat >= len) {
		g_string_append_printf(err, "block 0: fs_version %u, FAT at %u: not a version %u "
					    "partition header", version, fat, RPMB_FS_VERSION);
		return -EBADMSG;
	}
	g_autoptr(GArray) files = g_array_new(FALSE, TRUE, sizeof(struct optee_rpmb_file));
	for (uint32_t a = fat;; a += RPMB_FS_BLOCK_SIZE) {
		if (a + RPMB_FS_BLOCK_SIZE > len) {
			g_string_append_printf(err, "block %u: the FAT runs past the partition's end "
						    "without a last entry", a / RPMB_FS_BLOCK_SIZE);
			return -EBADMSG;
		}
		const uint8_t *e = img + a;
		struct optee_rpmb_file f = {
			.fat_address = a,
			.start_address = get_le32(e + offsetof(struct rpmb_fat_entry, start_address)),
			.data_size = get_le32(e + offsetof(struct rpmb_fat_entry, data_size)),
			.flags = get_le32(e + offsetof(struct rpmb_fat_entry, flags)),
		};
		if (f.flags & RPMB_FS_FILE_IS_LAST_ENTRY)
			break;
		memcpy(f.name, e + offsetof(struct rpmb_fat_entry, filename), RPMB_FS_FILENAME_LENGTH);
		if ((f.flags & RPMB_FS_FILE_IS_ACTIVE) &&
		    ((uint64_t)f.start_address + f.data_size > len || f.start_address % RPMB_FS_BLOCK_SIZE ||
		     (f.data_size && f.start_address <= a))) {
			g_string_append_printf(err, "block %u: FAT entry of %s: data at %u + %u bytes lies "
						    "outside the file area", a / RPMB_FS_BLOCK_SIZE,
						    f.name, f.start_address, f.data_size);
			return -EBADMSG;
		}
		g_array_append_val(files, f);
	}
	*ret_files = g_steal_pointer(&files);
	return 0;
}

/* "/UUIDHEX/..." -> the 16 UUID bytes as OP-TEE holds them in memory. */
static int uuid_of_name(const char *name, uint8_t uuid[OPTEE_FS_UUID_SIZE])
{
	if (name[0] != '/' || strlen(name) < 2 + 2 * OPTEE_FS_UUID_SIZE ||
	    name[1 + 2 * OPTEE_FS_UUID_SIZE] != '/')
		return -EINVAL;
	for (size_t i = 0; i < OPTEE_FS_UUID_SIZE; i++) {
		int hi = g_ascii_xdigit_value(name[1 + 2 * i]), lo = g_ascii_xdigit_value(name[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int optee_rpmb_image_read_file(const uint8_t *img, size_t len, const uint8_t huk[OPTEE_HUK_SIZE],
			       const char *name, GBytes **ret_data, GString *err)
{
	return optee_rpmb_image_read_file_head(img, len, huk, name, SIZE_MAX, ret_data, err);
}

int optee_rpmb_image_read_file_head(const uint8_t *img, size_t len,
				    const uint8_t huk[OPTEE_HUK_SIZE], const char *name,
				    size_t max_bytes, GBytes **ret_data, GString *err)
{
	g_autoptr(GArray) files = NULL;
	int r = optee_rpmb_image_list(img, len, &files, err);
	if (r < 0)
		return r;
	const struct optee_rpmb_file *f = NULL;
	for (guint i = 0; i < files->len && !f; i++) {
		const struct optee_rpmb_file *x = &g_array_index(files, struct optee_rpmb_file, i);
		if ((x->flags & RPMB_FS_FILE_IS_ACTIVE) && !strcmp(x->name, name))
			f = x;
	}
	if (!f) {
		g_string_append_printf(err, "no file %s in the FAT", name);
		return -ENOENT;
	}
	uint8_t uuid[OPTEE_FS_UUID_SIZE], ssk[OPTEE_FS_SSK_SIZE], tsk[OPTEE_FS_TSK_SIZE];
	uint8_t fek[OPTEE_FS_FEK_SIZE];
	if (uuid_of_name(f->name, uuid) < 0) {
		g_string_append_printf(err, "block %u: file name %s has no owner UUID",
				       f->fat_address / RPMB_FS_BLOCK_SIZE, f->name);
		return -EBADMSG;
	}
	r = optee_fs_derive_ssk(huk, ssk);
	if (r == 0)
		r = optee_fs_derive_tsk(ssk, uuid, tsk);
	if (r == 0)
		r = optee_fs_fek_crypt(tsk, false, img + f->fat_address + offsetof(struct rpmb_fat_entry, fek),
				       fek);
	size_t want = MIN((size_t)f->data_size, max_bytes);
	size_t blocks = (want + RPMB_FS_BLOCK_SIZE - 1) / RPMB_FS_BLOCK_SIZE;
	g_autofree uint8_t *out = g_malloc(blocks * RPMB_FS_BLOCK_SIZE + 1);
	for (size_t i = 0; r == 0 && i < blocks; i++) {
		uint32_t blk = f->start_address / RPMB_FS_BLOCK_SIZE + (uint32_t)i;
		r = optee_fs_crypt_block_fek(fek, (uint16_t)blk, false, img + (size_t)blk * RPMB_FS_BLOCK_SIZE,
					     out + i * RPMB_FS_BLOCK_SIZE, RPMB_FS_BLOCK_SIZE);
	}
	OPENSSL_cleanse(ssk, sizeof(ssk));
	OPENSSL_cleanse(tsk, sizeof(tsk));
	OPENSSL_cleanse(fek, sizeof(fek));
	if (r < 0) {
		g_string_append_printf(err, "%s: decryption failed", name);
		return r;
	}
	*ret_data = g_bytes_new(out, want);
	return 0;
}
