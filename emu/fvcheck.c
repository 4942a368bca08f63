/* SPDX-License-Identifier: MIT */
#include "fvcheck.h"

#include <errno.h>
#include <glib.h>
#include <stdbool.h>

#include "fv_check.h"

/* One key as an unsigned decimal in [min, max]. */
static int get_unsigned(GKeyFile *kf, const char *key, guint64 min, guint64 max,
			guint64 *ret, char **ret_error)
{
	g_autoptr(GError) e = NULL;
	g_autofree char *v = g_key_file_get_value(kf, FV_CHECK_GROUP, key, &e);
	guint64 n = 0;

	if (!v) {
		*ret_error = g_strdup_printf("[%s] %s: %s", FV_CHECK_GROUP, key, e->message);
		return -EPROTO;
	}
	if (!g_ascii_string_to_unsigned(v, 10, min, max, &n, &e)) {
		*ret_error = g_strdup_printf("[%s] %s=%s: %s", FV_CHECK_GROUP, key, v, e->message);
		return -EPROTO;
	}
	*ret = n;
	return 0;
}

int fvcheck_parse(const char *text, size_t len, struct fvcheck_result *ret, char **ret_error)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) e = NULL;
	struct fvcheck_result res = { 0 };

	if (!text || !g_key_file_load_from_data(kf, text, len, G_KEY_FILE_NONE, &e)) {
		*ret_error = g_strdup_printf("not a key file: %s", e ? e->message : "no text");
		return -EPROTO;
	}
	const struct {
		const char *key;
		bool nonzero;
		uint64_t *u64;
		uint32_t *u32;
	} keys[] = {
		{ FV_CHECK_KEY_FV_LENGTH, false, &res.fv_length, NULL },
		{ FV_CHECK_KEY_STORE_SIZE, false, NULL, &res.store_size },
		{ FV_CHECK_KEY_RECORDS, false, NULL, &res.records },
		{ FV_CHECK_KEY_LIVE_VARIABLES, false, NULL, &res.live_variables },
		{ FV_CHECK_KEY_BYTES_NEEDED, false, &res.bytes_needed, NULL },
		{ FV_CHECK_KEY_VAR_STORE_SIZE, true, NULL, &res.var_store_size },
		{ FV_CHECK_KEY_FTW_WORKING_SIZE, true, NULL, &res.ftw_working_size },
		{ FV_CHECK_KEY_FTW_SPARE_SIZE, true, NULL, &res.ftw_spare_size },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		guint64 v;
		int r = get_unsigned(kf, keys[i].key, keys[i].nonzero ? 1 : 0,
				     keys[i].u64 ? G_MAXUINT64 : G_MAXUINT32, &v, ret_error);
		if (r < 0)
			return r;
		if (keys[i].u64)
			*keys[i].u64 = v;
		else
			*keys[i].u32 = (uint32_t)v;
	}
	*ret = res;
	return 0;
}
