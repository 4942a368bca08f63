/* SPDX-License-Identifier: MIT */
/* STATE/stmm-emu.conf (see config.h). */
#include "config.h"

#include <errno.h>
#include <string.h>

bool emu_rpmb_layout_valid(const char *name)
{
	return name && (!strcmp(name, "optee-fs") || !strcmp(name, "raw"));
}

bool emu_rpmb_route_valid(const char *name)
{
	return name && (!strcmp(name, "probe") || !strcmp(name, "legacy"));
}

bool emu_profile_valid(const char *name)
{
	return name && (!strcmp(name, "optee-stmm") || !strcmp(name, "strict"));
}

bool emu_normal_world_valid(const char *name)
{
	return name && (!strcmp(name, "supplicant") || !strcmp(name, "kernel") ||
			!strcmp(name, "uboot-2025.01"));
}

bool emu_durability_valid(const char *name)
{
	return name && (!strcmp(name, "full") || !strcmp(name, "process"));
}

/* The string keys: group, key, field, size, check. */
static const struct {
	const char *group, *key;
	size_t offset, size;
	bool (*valid)(const char *);
} str_keys[] = {
	{ "stmmd", "rpmb-route", offsetof(struct emu_config, rpmb_route),
	  sizeof(((struct emu_config *)0)->rpmb_route), emu_rpmb_route_valid },
	{ "supplicantd", "route", offsetof(struct emu_config, normal_world),
	  sizeof(((struct emu_config *)0)->normal_world), emu_normal_world_valid },
	{ "rpmbd", "durability", offsetof(struct emu_config, durability),
	  sizeof(((struct emu_config *)0)->durability), emu_durability_valid },
	{ "stmmd", "profile", offsetof(struct emu_config, profile),
	  sizeof(((struct emu_config *)0)->profile), emu_profile_valid },
};

static const struct {
	const char *group, *key;
	size_t offset;
	uint64_t max;
} keys[] = {
	{ "stmmd", "var-store-size", offsetof(struct emu_config, var_store_size), 16u << 20 },
	{ "stmmd", "ftw-working-size", offsetof(struct emu_config, ftw_working_size), 16u << 20 },
	{ "stmmd", "ftw-spare-size", offsetof(struct emu_config, ftw_spare_size), 16u << 20 },
	{ "rpmbd", "size-mult", offsetof(struct emu_config, rpmb_size_mult), 128 },
};

int emu_config_load(const struct emu_state *st, struct emu_config *ret, GString *err)
{
	g_autofree char *path = emu_state_path(st, EMU_CONFIG_FILE);
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) gerr = NULL;
	struct emu_config cfg = { 0 };

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &gerr)) {
		if (g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
			*ret = cfg;
			return 0;
		}
		if (err)
			g_string_append_printf(err, "%s: %s", path, gerr->message);
		return -EINVAL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		if (!g_key_file_has_key(kf, keys[i].group, keys[i].key, NULL))
			continue;
		guint64 v = g_key_file_get_uint64(kf, keys[i].group, keys[i].key, &gerr);
		if (gerr || v == 0 || v > keys[i].max) {
			if (err)
				g_string_append_printf(err, "%s: [%s] %s: not a number 1..%" G_GUINT64_FORMAT,
						       path, keys[i].group, keys[i].key, keys[i].max);
			return -EINVAL;
		}
		*(uint32_t *)((char *)&cfg + keys[i].offset) = (uint32_t)v;
	}
	if (g_key_file_has_key(kf, "stmmd", "rpmb-layout", NULL)) {
		g_autofree char *v = g_key_file_get_string(kf, "stmmd", "rpmb-layout", NULL);
		if (!emu_rpmb_layout_valid(v)) {
			if (err)
				g_string_append_printf(err, "%s: [stmmd] rpmb-layout: not optee-fs or raw", path);
			return -EINVAL;
		}
		g_strlcpy(cfg.rpmb_layout, v, sizeof(cfg.rpmb_layout));
	}
	cfg.trace = g_key_file_get_boolean(kf, "stack", "trace", NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(str_keys); i++) {
		if (!g_key_file_has_key(kf, str_keys[i].group, str_keys[i].key, NULL))
			continue;
		g_autofree char *v = g_key_file_get_string(kf, str_keys[i].group, str_keys[i].key, NULL);
		if (!str_keys[i].valid(v)) {
			if (err)
				g_string_append_printf(err, "%s: [%s] %s: unknown value", path,
						       str_keys[i].group, str_keys[i].key);
			return -EINVAL;
		}
		g_strlcpy((char *)&cfg + str_keys[i].offset, v, str_keys[i].size);
	}
	*ret = cfg;
	return 0;
}

int emu_config_save(const char *base_path, const char *out_path, const struct emu_config *cfg,
		    GString *err)
{
	g_autoptr(GKeyFile) kf = g_key_file_new();
	g_autoptr(GError) gerr = NULL;

	if (base_path)
		(void)g_key_file_load_from_file(kf, base_path, G_KEY_FILE_KEEP_COMMENTS, NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
		uint32_t v = *(const uint32_t *)((const char *)cfg + keys[i].offset);
		if (v)
			g_key_file_set_uint64(kf, keys[i].group, keys[i].key, v);
		else
			(void)g_key_file_remove_key(kf, keys[i].group, keys[i].key, NULL);
	}
	if (cfg->rpmb_layout[0])
		g_key_file_set_string(kf, "stmmd", "rpmb-layout", cfg->rpmb_layout);
	else
		(void)g_key_file_remove_key(kf, "stmmd", "rpmb-layout", NULL);
	if (cfg->trace)
		g_key_file_set_boolean(kf, "stack", "trace", TRUE);
	else
		(void)g_key_file_remove_key(kf, "stack", "trace", NULL);
	for (size_t i = 0; i < G_N_ELEMENTS(str_keys); i++) {
		const char *v = (const char *)cfg + str_keys[i].offset;
		if (v[0])
			g_key_file_set_string(kf, str_keys[i].group, str_keys[i].key, v);
		else
			(void)g_key_file_remove_key(kf, str_keys[i].group, str_keys[i].key, NULL);
	}
	if (!g_key_file_save_to_file(kf, out_path, &gerr)) {
		if (err)
			g_string_append_printf(err, "%s: %s", out_path, gerr->message);
		return -EIO;
	}
	return 0;
}
