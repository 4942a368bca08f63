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
#include <unistd.h>

#include "crypto_init.h"
#include "optee_fs_crypto.h"
#include "gone_watch.h"
#include "fvio.h"
#include "options.h"
#include "profile.h"
#include "ready.h"
#include "rpc.h"
#include "store_check.h"
#include "tee.h"
#include "tee_stmm.h"
#include "trace.h"

/* Owners for main's cleanup: each frees NULL; the socket file goes with its listener. */
typedef struct rpc StmmdRpc;
typedef struct tee_stmm StmmdPta;
typedef struct tee_core StmmdCore;
typedef char StmmdSocketFile;
static void socket_file_remove(char *path)
{
	if (path)
		(void)unlink(path);
	g_free(path);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StmmdRpc, rpc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StmmdPta, tee_stmm_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StmmdCore, tee_core_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StmmdSocketFile, socket_file_remove)

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_auto(StmmdOptions) o;
	struct tee_stmm_config scfg;
	g_autoptr(GBytes) import_image = NULL;
	int r;

	/* Options; a one-shot --check-fv needs nothing else. */
	stmmd_options_init(&o);
	if (stmmd_options_parse(&argc, &argv, &o) < 0)
		return 2;
	if (emu_crypto_init(EMU_CRYPTO_HMAC_SHA256) < 0 || optee_fs_crypto_fetch() < 0) {
		g_printerr("stmmd: OpenSSL initialisation failed\n");
		return EXIT_FAILURE;
	}
	if (o.check_fv)
		return fvio_check_main(o.check_fv, stdout, stderr);
	if (o.check_store)
		return store_check_main(o.check_store, o.var_store_size, o.ftw_working_size,
					o.ftw_spare_size, stdout, stderr);
	/* Logging. */
	if (o.verbose)
		g_log_set_debug_enabled(TRUE);
	if (o.trace_file && (r = emu_trace_open(o.trace_file, EMU_TRACE_ROLE_STMMD)) < 0) {
		g_printerr("stmmd: --trace %s: %s\n", o.trace_file, g_strerror(-r));
		return 2;
	}
	/* Storage: the StMM configuration, and the PTA reaching RPMB through the supplicant. */
	if (stmmd_options_config(&o, &scfg, &import_image) < 0)
		return 2;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(StmmdRpc) rpc = NULL;
	g_autoptr(StmmdPta) stmm = NULL;
	if ((r = rpc_new(NULL, o.rpc_timeout_ms, &rpc)) < 0 ||
	    (r = tee_stmm_new(&scfg, rpc, &stmm)) < 0) {
		g_printerr("stmmd: RPMB client setup: %s\n", g_strerror(-r));
		return EXIT_FAILURE;
	}
	/* Socket: the tee core serving PTA_STMM (freed before the socket file goes). */
	struct tee_pta_ops ops;
	tee_stmm_pta_ops(stmm, &ops);
	struct tee_config tcfg = { .ns_buf_size = (uint32_t)o.ns_buf_size,
				   .ffa_profile = o.ffa_profile };
	g_autoptr(StmmdSocketFile) socket_file = NULL;
	g_autoptr(StmmdCore) core = NULL;
	if ((r = tee_core_new(&tcfg, &ops, rpc, NULL, &core)) < 0 ||
	    (r = tee_core_listen(core, o.socket_path)) < 0) {
		g_printerr("stmmd: tee socket %s: %s\n", o.socket_path, g_strerror(-r));
		return EXIT_FAILURE;
	}
	socket_file = g_strdup(o.socket_path);
	/* Signals. */
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	bool sock_gone = false; /* rm -rf of the state directory */
	emu_gone_watch_add(o.socket_path, loop, &sock_gone);
	/* Readiness: the StMM thread runs, the socket serves. */
	if ((r = tee_core_start(core)) < 0) {
		g_printerr("stmmd: starting the StMM thread: %s\n", g_strerror(-r));
		return EXIT_FAILURE;
	}
	g_message("stmmd ready on %s (rpc timeout %d ms, NS buffer %" G_GINT64_FORMAT
		  " bytes, key writing %s, profile %s, rpmb route %s%s)",
		  o.socket_path, o.rpc_timeout_ms, o.ns_buf_size, o.no_write_key ? "off" : "on",
		  stmm_profile_of(&scfg.vars, &scfg.auth) ? stmm_profile_of(&scfg.vars, &scfg.auth) : "custom",
		  rpmb_route_name(scfg.rpmb.route),
		  scfg.rpmb.probe_not_impl_fatal ? " (" RPMB_QUIRK_PROBE_NOT_IMPL_FATAL ")" : "");
	if ((r = emu_ready_notify(o.ready_fd)) < 0)
		g_warning("--ready-fd %d: %s", o.ready_fd, g_strerror(-r));
	/* Loop; teardown in reverse by the cleanups: core, socket file, PTA, RPC, options. */
	g_main_loop_run(loop);
	if (sock_gone)
		g_message(EMU_GONE_WATCH_LOG, o.socket_path);
	return EXIT_SUCCESS;
}
