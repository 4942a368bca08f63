/* SPDX-License-Identifier: MIT */
#include "options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fvio.h"
#include "pta_stmm.h"
#include "ready.h"
#include "rpmb_route.h"
#include "varsvc_auth.h"
#include "version.h"

void stmmd_options_init(struct stmmd_options *o)
{
	*o = (struct stmmd_options){
		.rpc_timeout_ms = 2000, .ready_fd = -1, .ns_buf_size = PTA_STMM_NS_COMM_BUF_SIZE,
		.var_store_size = 16384, .ftw_working_size = 16384, .ftw_spare_size = 16384,
		.max_var = -1, .max_auth_var = -1, .max_vol_var = -1, .vol_store = -1,
		.hwerr_store = -1, .max_hwerr_var = -1,
	};
}

void stmmd_options_clear(struct stmmd_options *o)
{
	g_clear_pointer(&o->state_dir, g_free);
	g_clear_pointer(&o->socket_path, g_free);
	g_clear_pointer(&o->huk_file, g_free);
	g_clear_pointer(&o->check_fv, g_free);
	g_clear_pointer(&o->check_store, g_free);
	g_clear_pointer(&o->rpmb_layout, g_free);
	g_clear_pointer(&o->rpmb_route, g_free);
	g_clear_pointer(&o->ffa_sp, g_free);
	g_clear_pointer(&o->import_fv, g_free);
	g_clear_pointer(&o->trace_file, g_free);
	g_clear_pointer(&o->quirks, g_strfreev);
}

/* --quirk lists into cfg; prints the unknown name.  0 or -EINVAL. */
static int parse_quirks(gchar *const *quirks, struct tee_stmm_config *cfg)
{
	for (gchar *const *q = quirks; q && *q; q++) {
		g_auto(GStrv) words = g_strsplit(*q, ",", -1);
		for (gchar **w = words; *w; w++) {
			g_autofree char *bad = NULL;
			if (!strcmp(*w, RPMB_QUIRK_PROBE_NOT_IMPL_FATAL)) {
				cfg->rpmb.probe_not_impl_fatal = true;
				continue;
			}
			if (varsvc_auth_parse_quirks(*w, &cfg->auth, &bad) < 0) {
				g_printerr("stmmd: --quirk: unknown quirk '%s' (known: %s,%s)\n",
					   bad ? bad : *w, varsvc_auth_quirk_names(),
					   RPMB_QUIRK_PROBE_NOT_IMPL_FATAL);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int stmmd_options_parse(int *argc, char ***argv, struct stmmd_options *o)
{
	g_autofree char *check_quirks = NULL;
	gboolean version = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &o->state_dir, "State directory (socket STATE/tee.sock)", "DIR" },
		{ "socket", 0, 0, G_OPTION_ARG_FILENAME, &o->socket_path, "Tee socket path (overrides --state)", "PATH" },
		{ "huk-file", 0, 0, G_OPTION_ARG_FILENAME, &o->huk_file, "16-byte hardware unique key (default: the all-zero test HUK)", "FILE" },
		{ "rpc-timeout", 0, 0, G_OPTION_ARG_INT, &o->rpc_timeout_ms, "Supplicant RPC timeout (default 2000)", "MS" },
		{ "ns-buf-size", 0, 0, G_OPTION_ARG_INT64, &o->ns_buf_size, "Largest MM buffer PTA_STMM accepts (default 16384)", "BYTES" },
		{ "store-offset", 0, 0, G_OPTION_ARG_INT64, &o->store_offset, "Byte offset of the NV store in RPMB (default 0)", "BYTES" },
		{ "var-store-size", 0, 0, G_OPTION_ARG_INT64, &o->var_store_size, "Variable store size (default 16384)", "BYTES" },
		{ "ftw-working-size", 0, 0, G_OPTION_ARG_INT64, &o->ftw_working_size, "FTW working area size (default 16384)", "BYTES" },
		{ "ftw-spare-size", 0, 0, G_OPTION_ARG_INT64, &o->ftw_spare_size, "FTW spare area size (default 16384)", "BYTES" },
		{ "quirk", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->quirks, "Behave as a known build instead of spec-strict (repeatable, comma list; see below)", "NAME" },
		{ "check-quirks", 0, 0, G_OPTION_ARG_STRING, &check_quirks, "Check a --quirk LIST (comma list) and exit: 0 every name is known, 2 not (naming it); how `stmm-emu up` validates before it starts anything", "LIST" },
		{ "rpmb-layout", 0, 0, G_OPTION_ARG_STRING, &o->rpmb_layout, "Where the NV store lives: optee-fs (default: the file EFI_VARS in OP-TEE's RPMB file system, as on a board) or raw (the store's bytes at --store-offset)", "optee-fs|raw" },
		{ "rpmb-route", 0, 0, G_OPTION_ARG_STRING, &o->rpmb_route, "How OP-TEE reaches RPMB: probe (default, CFG_RPMB_ANNOUNCE_PROBE_CAP=y: PROBE_RESET first, the kernel route when the normal world serves it, else legacy; key writing forces legacy, as CFG_RPMB_WRITE_KEY does) or legacy (only OPTEE_RPC_CMD_RPMB)", "probe|legacy" },
		{ "ffa-sp", 0, 0, G_OPTION_ARG_STRING, &o->ffa_sp, "What the MM secure partition behind FF-A is: smm-gateway (default, Trusted Services: x3 = offset into the MM shared buffer, 32-bit door bells refused, MessageLength rewritten) or edk2 (StandaloneMm: x3 = address in the buffer)", "smm-gateway|edk2" },
		{ "check-fv", 0, 0, G_OPTION_ARG_FILENAME, &o->check_fv, "Validate an EDK2 variable file, print the layout it needs and exit", "FILE" },
		{ "check-store", 0, 0, G_OPTION_ARG_FILENAME, &o->check_store, "Validate a raw NV store region (RPMB bytes from --store-offset) for the layout options; print each problem and exit 0 clean / 1 problems / 2 error", "FILE" },
		{ "import-fv", 0, 0, G_OPTION_ARG_FILENAME, &o->import_fv, "Provision RPMB from an EDK2 variable file at boot (only if it holds no store)", "FILE" },
		{ "max-variable-size", 0, 0, G_OPTION_ARG_INT64, &o->max_var, "PcdMaxVariableSize (default 8192)", "BYTES" },
		{ "max-auth-variable-size", 0, 0, G_OPTION_ARG_INT64, &o->max_auth_var, "PcdMaxAuthVariableSize (default 10240; 0 = max-variable-size)", "BYTES" },
		{ "max-volatile-variable-size", 0, 0, G_OPTION_ARG_INT64, &o->max_vol_var, "PcdMaxVolatileVariableSize (default 0 = max-variable-size)", "BYTES" },
		{ "volatile-store-size", 0, 0, G_OPTION_ARG_INT64, &o->vol_store, "PcdVariableStoreSize, the volatile store (default 16384)", "BYTES" },
		{ "hwerr-storage-size", 0, 0, G_OPTION_ARG_INT64, &o->hwerr_store, "PcdHwErrStorageSize (default 0: no hardware error records)", "BYTES" },
		{ "max-hwerr-variable-size", 0, 0, G_OPTION_ARG_INT64, &o->max_hwerr_var, "PcdMaxHardwareErrorVariableSize (default 32768)", "BYTES" },
		{ "no-write-key", 0, 0, G_OPTION_ARG_NONE, &o->no_write_key, "Never program the RPMB key (CFG_RPMB_WRITE_KEY=n)", NULL },
		{ "trace", 0, 0, G_OPTION_ARG_FILENAME, &o->trace_file, "Append every message on the tee socket and every MM buffer to the trace FILE (include/emu_trace.h; `stmm-emu trace` reads it)", "FILE" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Debug logging (hex dumps of every request)", NULL },
		{ "ready-fd", 0, 0, G_OPTION_ARG_INT, &o->ready_fd, "Write READY=1 and a newline to descriptor FD once serving, then close it (how `stmm-emu up` waits)", "FD" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- OP-TEE + StandaloneMM emulator");
	g_autoptr(GError) err = NULL;
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, "Quirks (--quirk, off by default):\n"
		"  optee-stmm  edk2 as OP-TEE's StMM build configures it: PcdUserPhysicalPresence\n"
		"              TRUE and no variable-policy engine, so an unsigned, well-formed,\n"
		"              empty-payload write deletes an authenticated variable, and\n"
		"              CustomMode / SecureBootEnable are writable.\n"
		"  rpmb-probe-not-implemented-fatal\n"
		"              OP-TEE before 96e8f740b (2025-01): a PROBE_RESET answered\n"
		"              TEE_ERROR_NOT_IMPLEMENTED (U-Boot <= v2025.01) fails RPMB init\n"
		"              instead of falling back to the legacy route.\n");
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		fprintf(stderr, "stmmd: %s\n", err->message);
		return -EINVAL;
	}
	if (version) {
		fputs(STMM_EMU_VERSION_LINE("stmmd"), stdout);
		exit(0); /* answered here, as GOption answers --help */
	}
	if (check_quirks) {
		/* A one-shot answer, given here as GOption gives --help's. */
		struct tee_stmm_config cfg = { 0 };
		gchar *list[] = { check_quirks, NULL };
		exit(parse_quirks(list, &cfg) < 0 ? 2 : 0);
	}
	if (o->check_fv || o->check_store)
		return 0; /* a one-shot check needs nothing else */
	if (emu_ready_fd_check(o->ready_fd) < 0) {
		fprintf(stderr, "stmmd: --ready-fd %d is not an open descriptor\n", o->ready_fd);
		return -EINVAL;
	}
	if (!o->socket_path && o->state_dir)
		o->socket_path = g_build_filename(o->state_dir, "tee.sock", NULL);
	const gint64 sizes[] = { o->store_offset, o->var_store_size, o->ftw_working_size, o->ftw_spare_size };
	for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
		if (sizes[i] < 0 || sizes[i] % 256 || sizes[i] > 16 * 1024 * 1024 || (i > 0 && !sizes[i])) {
			fprintf(stderr, "stmmd: store offsets and sizes are multiples of 256 up to 16 MiB\n");
			return -EINVAL;
		}
	const gint64 pcds[] = { o->max_var, o->max_auth_var, o->max_vol_var, o->vol_store, o->hwerr_store, o->max_hwerr_var };
	for (size_t i = 0; i < G_N_ELEMENTS(pcds); i++)
		if (pcds[i] < -1 || pcds[i] > 16 * 1024 * 1024) {
			fprintf(stderr, "stmmd: variable sizes are at most 16 MiB\n");
			return -EINVAL;
		}
	if (o->ffa_sp && ffa_sp_profile_from_name(o->ffa_sp, &o->ffa_profile) < 0) {
		fprintf(stderr, "stmmd: --ffa-sp %s: not smm-gateway or edk2\n", o->ffa_sp);
		return -EINVAL;
	}
	if (!o->socket_path || o->rpc_timeout_ms <= 0 || o->ns_buf_size <= 0 ||
	    o->ns_buf_size > 64 * 1024 * 1024) {
		fprintf(stderr, "stmmd: need --state or --socket; timeout and buffer size must be positive\n");
		return -EINVAL;
	}
	return 0;
}

static int load_huk(const char *path, uint8_t huk[RPMB_CLIENT_HUK_SIZE])
{
	g_autofree gchar *data = NULL;
	gsize len = 0;
	if (!path)
		return 0; /* keep the test HUK */
	if (!g_file_get_contents(path, &data, &len, NULL))
		return -ENOENT;
	if (len != RPMB_CLIENT_HUK_SIZE)
		return -EINVAL;
	memcpy(huk, data, RPMB_CLIENT_HUK_SIZE);
	return 0;
}

int stmmd_options_config(const struct stmmd_options *o, struct tee_stmm_config *ret_cfg,
			 GBytes **ret_import)
{
	struct tee_stmm_config cfg = { .rpmb = { .huk = RPMB_CLIENT_TEST_HUK } };
	g_autoptr(GBytes) image = NULL;
	int r;

	if ((r = load_huk(o->huk_file, cfg.rpmb.huk)) < 0) {
		g_printerr("stmmd: --huk-file %s: %s (need exactly 16 bytes)\n", o->huk_file,
			   g_strerror(-r));
		return r;
	}
	cfg.rpmb.write_key = !o->no_write_key;
	if (!o->rpmb_layout || !strcmp(o->rpmb_layout, "optee-fs")) {
		cfg.optee_fs = true;
	} else if (strcmp(o->rpmb_layout, "raw")) {
		g_printerr("stmmd: --rpmb-layout %s: not optee-fs or raw\n", o->rpmb_layout);
		return -EINVAL;
	}
	if (rpmb_route_parse(o->rpmb_route, &cfg.rpmb.route) < 0) {
		g_printerr("stmmd: --rpmb-route %s: not probe or legacy\n", o->rpmb_route);
		return -EINVAL;
	}
	if ((r = parse_quirks(o->quirks, &cfg)) < 0)
		return r;
	cfg.layout = (struct store_layout){ (uint64_t)o->store_offset, (uint32_t)o->var_store_size,
					    (uint32_t)o->ftw_working_size,
					    (uint32_t)o->ftw_spare_size };
	varsvc_config_defaults(&cfg.vars);
	const struct { uint32_t *pcd; gint64 opt; } pcds[] = {
		{ &cfg.vars.max_variable_size, o->max_var },
		{ &cfg.vars.max_auth_variable_size, o->max_auth_var },
		{ &cfg.vars.max_volatile_variable_size, o->max_vol_var },
		{ &cfg.vars.volatile_store_size, o->vol_store },
		{ &cfg.vars.hwerr_storage_size, o->hwerr_store },
		{ &cfg.vars.max_hwerr_variable_size, o->max_hwerr_var },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(pcds); i++)
		if (pcds[i].opt >= 0)
			*pcds[i].pcd = (uint32_t)pcds[i].opt;
	if (o->max_var >= 0 && o->max_vol_var < 0)
		cfg.vars.max_volatile_variable_size = 0; /* PCD 0 = PcdMaxVariableSize */
	if (o->import_fv) {
		g_autofree char *why = NULL;
		if ((r = fvio_load_import(o->import_fv, &cfg.layout, &image, &why)) < 0) {
			g_printerr("stmmd: --import-fv %s\n", why);
			return r;
		}
		cfg.import_image = image;
	}
	*ret_cfg = cfg;
	*ret_import = g_steal_pointer(&image);
	return 0;
}
