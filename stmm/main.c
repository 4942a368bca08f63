/* SPDX-License-Identifier: MIT */
/*
 * stmmd: OP-TEE + StandaloneMM.  Serves the tee socket (sessions to PTA_STMM, shared
 * memory, invoke), talks to the supplicant over the same socket, and keeps UEFI variables
 * in RPMB through it.  StMM boots (RPMB init, store load) on its worker thread as soon as a
 * supplicant registers or a first session opens, since the store is only reachable through
 * the supplicant; threading in tee.h.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pta_stmm.h"
#include "rpc.h"
#include "tee.h"
#include "tee_stmm.h"

struct options {
	gchar *state_dir, *socket_path, *huk_file;
	gint rpc_timeout_ms;
	gint64 ns_buf_size, store_offset, var_store_size, ftw_working_size, ftw_spare_size;
	gboolean no_write_key, verbose;
};

static int parse_options(int *argc, char ***argv, struct options *o)
{
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
		{ "no-write-key", 0, 0, G_OPTION_ARG_NONE, &o->no_write_key, "Never program the RPMB key (CFG_RPMB_WRITE_KEY=n)", NULL },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Debug logging (hex dumps of every request)", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- OP-TEE + StandaloneMM emulator");
	g_autoptr(GError) err = NULL;
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, argc, argv, &err)) {
		fprintf(stderr, "stmmd: %s\n", err->message);
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

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	struct options o = { .rpc_timeout_ms = 2000, .ns_buf_size = PTA_STMM_NS_COMM_BUF_SIZE,
			     .var_store_size = 16384, .ftw_working_size = 16384, .ftw_spare_size = 16384 };
	struct tee_stmm_config scfg = { .rpmb = { .huk = RPMB_CLIENT_TEST_HUK } };
	struct rpc *rpc = NULL;
	struct tee_stmm *stmm = NULL;
	struct tee_core *core = NULL;
	struct tee_pta_ops ops;
	int r, status = EXIT_FAILURE;

	if (parse_options(&argc, &argv, &o) < 0)
		return 2;
	if (o.verbose)
		g_log_set_debug_enabled(TRUE);
	if ((r = load_huk(o.huk_file, scfg.rpmb.huk)) < 0) {
		g_printerr("stmmd: --huk-file %s: %s (need exactly 16 bytes)\n", o.huk_file, g_strerror(-r));
		return 2;
	}
	scfg.rpmb.write_key = !o.no_write_key;
	scfg.layout = (struct store_layout){ (uint64_t)o.store_offset, (uint32_t)o.var_store_size,
					     (uint32_t)o.ftw_working_size, (uint32_t)o.ftw_spare_size };
	varsvc_config_defaults(&scfg.vars);
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);

	if ((r = rpc_new(NULL, o.rpc_timeout_ms, &rpc)) < 0 ||
	    (r = tee_stmm_new(&scfg, rpc, &stmm)) < 0) {
		g_printerr("stmmd: RPMB client setup: %s\n", g_strerror(-r));
		goto out;
	}
	tee_stmm_pta_ops(stmm, &ops);
	struct tee_config tcfg = { .ns_buf_size = (uint32_t)o.ns_buf_size };
	if ((r = tee_core_new(&tcfg, &ops, rpc, NULL, &core)) < 0 ||
	    (r = tee_core_listen(core, o.socket_path)) < 0) {
		g_printerr("stmmd: tee socket %s: %s\n", o.socket_path, g_strerror(-r));
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	if ((r = tee_core_start(core)) < 0) {
		g_printerr("stmmd: starting the StMM thread: %s\n", g_strerror(-r));
		goto out;
	}
	g_message("stmmd ready on %s (rpc timeout %d ms, NS buffer %" G_GINT64_FORMAT " bytes, key writing %s)",
		  o.socket_path, o.rpc_timeout_ms, o.ns_buf_size, o.no_write_key ? "off" : "on");
	g_main_loop_run(loop);
	status = EXIT_SUCCESS;
out:
	tee_core_free(core);
	if (core)
		(void)unlink(o.socket_path);
	tee_stmm_free(stmm);
	rpc_free(rpc);
	g_free(o.state_dir);
	g_free(o.socket_path);
	g_free(o.huk_file);
	return status;
}
