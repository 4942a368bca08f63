/* SPDX-License-Identifier: MIT */
/* stmmd's whole-store import and export (see fvio.h). */
#include "fvio.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "bytes.h"
#include "fv_check.h"

static int read_file(const char *path, GBytes **ret, char **ret_error)
{
	g_autoptr(GError) gerr = NULL;
	g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, &gerr);

	if (!map) {
		*ret_error = g_strdup_printf("%s: %s", path, gerr->message);
		return gerr->domain == G_FILE_ERROR && gerr->code == G_FILE_ERROR_NOENT ? -ENOENT : -EIO;
	}
	*ret = g_mapped_file_get_bytes(map);
	return 0;
}

static int parse_file(const char *path, GBytes **ret_bytes, struct fvimage **ret_img,
		      char **ret_error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autofree char *why = NULL;
	gsize len = 0;
	int r = read_file(path, &bytes, ret_error);

	if (r < 0)
		return r;
	const uint8_t *buf = g_bytes_get_data(bytes, &len);
	if (!buf || len == 0) {
		*ret_error = g_strdup_printf("%s: offset 0x0: empty file, not an EDK2 firmware volume",
					     path);
		return -EINVAL;
	}
	r = fvimage_parse(buf, len, ret_img, &why);
	if (r < 0) {
		*ret_error = g_strdup_printf("%s: %s", path, why ? why : g_strerror(-r));
		return r;
	}
	*ret_bytes = g_steal_pointer(&bytes);
	return 0;
}

int fvio_check_main(const char *path, FILE *out, FILE *err)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(fvimage) img = NULL;
	g_autofree char *why = NULL;
	struct fvimage_layout l;
	int r = parse_file(path, &bytes, &img, &why);

	if (r < 0) {
		fprintf(err, "stmmd: %s\n", why);
		return r == -EINVAL ? 1 : 2;
	}
	const struct fv_record_fields *vars = (const struct fv_record_fields *)(void *)img->vars->data;
	uint64_t need = fvimage_bytes_needed(vars, img->vars->len);
	fvimage_default_layout(need, &l);
	if (need > l.var_store_size || fvimage_layout_total(&l) > 16u * 1024 * 1024) {
		fprintf(err, "stmmd: %s: the live variables need %" PRIu64 " bytes, more than the "
			"emulator's store can hold\n", path, need);
		return 1;
	}
	fprintf(out,
		"[" FV_CHECK_GROUP "]\n"
		FV_CHECK_KEY_FV_LENGTH "=%" PRIu64 "\n"
		FV_CHECK_KEY_STORE_SIZE "=%u\n"
		FV_CHECK_KEY_RECORDS "=%u\n"
		FV_CHECK_KEY_LIVE_VARIABLES "=%u\n"
		FV_CHECK_KEY_BYTES_NEEDED "=%" PRIu64 "\n"
		FV_CHECK_KEY_VAR_STORE_SIZE "=%u\n"
		FV_CHECK_KEY_FTW_WORKING_SIZE "=%u\n"
		FV_CHECK_KEY_FTW_SPARE_SIZE "=%u\n",
		img->fv_length, img->store_size, img->records, img->vars->len, need,
		l.var_store_size, l.ftw_working_size, l.ftw_spare_size);
	return fflush(out) == 0 ? 0 : 2;
}

int fvio_load_import(const char *path, const struct store_layout *layout, GBytes **ret_image,
		     char **ret_error)
{
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(fvimage) img = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = parse_file(path, &bytes, &img, ret_error);

	if (r < 0)
		return r;
	const struct fvimage_layout l = {
		.var_store_size = layout->var_store_size,
		.ftw_working_size = layout->ftw_working_size,
		.ftw_spare_size = layout->ftw_spare_size,
	};
	const struct fv_record_fields *vars = (const struct fv_record_fields *)(void *)img->vars->data;
	r = fvimage_build(&l, vars, img->vars->len, &buf, &len);
	if (r == -ENOSPC) {
		*ret_error = g_strdup_printf("%s: its %u live variables need %" PRIu64 " bytes; the "
					     "variable store is %u bytes (--var-store-size)",
					     path, img->vars->len,
					     fvimage_bytes_needed(vars, img->vars->len),
					     layout->var_store_size);
		return r;
	}
	if (r < 0) {
		*ret_error = g_strdup_printf("%s: store layout not usable for an FV", path);
		return r;
	}
	*ret_image = g_bytes_new_take(buf, len);
	return 0;
}

int fvio_import_to_backend(const struct store_layout *layout, const struct store_backend *backend,
			   GBytes *image)
{
	gsize len = 0;
	const uint8_t *img = g_bytes_get_data(image, &len);
	struct fv_info info;
	uint32_t size;
	int r;

	if (len < 2 * STORE_BLOCK_SIZE || len % STORE_BLOCK_SIZE)
		return -EINVAL;
	/* Never overwrite a store: only a region without a valid variable FV is provisioned. */
	g_autofree uint8_t *cur = g_malloc(len);
	r = backend->read(backend->ctx, layout->base_offset, cur, len);
	if (r < 0)
		return r;
	if (fv_check_fv_header(cur, layout->var_store_size, &info) == 0 &&
	    fv_check_store_header(cur + info.header_length,
				  layout->var_store_size - info.header_length, &size) == 0)
		return -EEXIST;
	r = backend->write(backend->ctx, layout->base_offset + STORE_BLOCK_SIZE,
			   img + STORE_BLOCK_SIZE, len - STORE_BLOCK_SIZE);
	if (r < 0)
		return r;
	r = backend->write(backend->ctx, layout->base_offset, img, STORE_BLOCK_SIZE);
	return r > 0 ? -EIO : r;
}

int fvio_export(const struct store *store, const struct store_layout *own,
		const struct emu_ctrl_export_req *req, GBytes **ret_image)
{
	struct fvimage_layout l = {
		.var_store_size = req->var_store_size,
		.gap_size = req->gap_size,
		.ftw_working_size = req->ftw_working_size,
		.ftw_spare_size = req->ftw_spare_size,
	};
	uint8_t *buf = NULL;
	size_t len = 0;

	if (!l.var_store_size && !l.gap_size && !l.ftw_working_size && !l.ftw_spare_size)
		l = (struct fvimage_layout){ own->var_store_size, 0, own->ftw_working_size,
					     own->ftw_spare_size };
	/* Each chunk request builds the whole image: a peer must not make us allocate (and
	 * fill) up to 2 GiB per request with a layout that is merely valid. */
	if (fvimage_layout_total(&l) > EMU_CTRL_EXPORT_MAX_IMAGE)
		return -EINVAL;
	g_autoptr(GArray) vars = g_array_new(FALSE, TRUE, sizeof(struct fv_record_fields));
	for (const struct var_entry *e = store_first(store); e; e = store_next(store, e)) {
		struct fv_record_fields f = {
			.state = VAR_ADDED,
			.attributes = e->attributes,
			.monotonic_count = e->monotonic_count,
			.time_stamp = e->time_stamp,
			.pub_key_index = e->pub_key_index,
			.guid = e->guid,
			.name = e->name,
			.name_size = e->name_size,
			.data = e->data,
			.data_size = e->data_size,
		};
		g_array_append_val(vars, f);
	}
	int r = fvimage_build(&l, (const struct fv_record_fields *)(void *)vars->data, vars->len,
			      &buf, &len);
	if (r < 0)
		return r;
	*ret_image = g_bytes_new_take(buf, len);
	return 0;
}
