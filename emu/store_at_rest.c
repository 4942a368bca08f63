/* SPDX-License-Identifier: MIT */
/* The NV store at rest in rpmb.db (store_at_rest.h). */
#include <errno.h>
#include <string.h>

#include "bytes.h"
#include "config.h"
#include "edk2_store.h"
#include "optee_rpmb_image.h"
#include "rpmb_frame.h"
#include "rpmbdb.h"
#include "store_at_rest.h"

/* Bytes the header check reads: the FV header with its block map and the store header. */
#define HEADERS_LEN 512u

int emu_store_read_at_rest(const char *db_path, bool optee_fs, uint32_t len, uint8_t **ret,
			   GString *err)
{
	if (!optee_fs)
		return emu_rpmbdb_read_blocks(db_path, len, ret, err);
	static const uint8_t huk[OPTEE_HUK_SIZE] = { 0 };
	g_autofree uint8_t *img = NULL;
	g_autoptr(GBytes) file = NULL;
	size_t img_len;
	int r = emu_rpmbdb_read_image(db_path, &img, &img_len, err);
	if (r == 0)
		r = optee_rpmb_image_read_file_head(img, img_len, huk, RPMB_FS_STMM_FILENAME, len,
						    &file, err);
	if (r < 0) {
		g_string_prepend(err, "EFI_VARS in OP-TEE's RPMB file system: ");
		return r;
	}
	if (g_bytes_get_size(file) < len) {
		g_string_append_printf(err, "EFI_VARS in OP-TEE's RPMB file system holds %zu bytes, "
				       "the layout needs %u", g_bytes_get_size(file), len);
		return -EBADMSG;
	}
	*ret = g_memdup2(g_bytes_get_data(file, NULL), len);
	return 0;
}

int emu_store_layout_at_rest(const char *db_path, bool optee_fs, struct emu_store_at_rest *ret,
			     GString *err)
{
	g_autofree uint8_t *h = NULL;
	g_autoptr(GString) why = g_string_new("");

	*ret = (struct emu_store_at_rest){ 0 };
	int r = emu_store_read_at_rest(db_path, optee_fs, HEADERS_LEN, &h, why);
	if (r == -ENOENT || r == -ENODATA || r == -EBADMSG)
		return 0; /* no file system or EFI_VARS file yet, or nothing readable: stmmd decides */
	if (r < 0) {
		g_string_assign(err, why->str);
		return r;
	}
	uint16_t header_length = get_le16(h + offsetof(struct efi_firmware_volume_header, header_length));
	if (get_le32(h + offsetof(struct efi_firmware_volume_header, signature)) != EFI_FVH_SIGNATURE ||
	    header_length < sizeof(struct efi_firmware_volume_header) ||
	    header_length + sizeof(struct variable_store_header) > HEADERS_LEN)
		return 0;
	uint32_t size = get_le32(h + header_length + offsetof(struct variable_store_header, size));
	ret->found = true;
	ret->fv_length = get_le64(h + offsetof(struct efi_firmware_volume_header, fv_length));
	ret->var_store_size = header_length + size;
	return 0;
}

int emu_store_layout_guard(const struct emu_state *st, GString *err)
{
	struct emu_config cfg;
	struct emu_store_at_rest at;

	if (!g_file_test(st->rpmb_db, G_FILE_TEST_IS_REGULAR))
		return 0;
	int r = emu_config_load(st, &cfg, err);
	if (r < 0)
		return r;
	bool optee_fs = strcmp(cfg.rpmb_layout, "raw") != 0;
	r = emu_store_layout_at_rest(st->rpmb_db, optee_fs, &at, err);
	if (r < 0 || !at.found)
		return r;
	uint32_t vs = cfg.var_store_size ? cfg.var_store_size : STMM_DEFAULT_VARIABLE_STORE_SIZE;
	uint32_t fw = cfg.ftw_working_size ? cfg.ftw_working_size : STMM_DEFAULT_FTW_WORKING_SIZE;
	uint32_t fs = cfg.ftw_spare_size ? cfg.ftw_spare_size : STMM_DEFAULT_FTW_SPARE_SIZE;
	uint64_t total = (uint64_t)vs + fw + fs;
	if (at.var_store_size == vs && at.fv_length == total)
		return 0;
	g_string_printf(err, "the variable store on the device (%s) is %u bytes in an FV of %" G_GUINT64_FORMAT
			" bytes, but %s/%s asks stmmd for %u in %" G_GUINT64_FORMAT
			" (var-store-size %u, ftw-working-size %u, ftw-spare-size %u): StMM would "
			"format the store afresh and every variable in it would be lost. Put the "
			"sizes back in %s, or start empty on purpose with `stmm-emu up --reformat-store`",
			st->rpmb_db, at.var_store_size, at.fv_length, st->dir, EMU_CONFIG_FILE, vs,
			total, vs, fw, fs, EMU_CONFIG_FILE);
	return -EEXIST;
}
