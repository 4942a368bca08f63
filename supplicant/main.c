/* SPDX-License-Identifier: MIT */
/*
 * supplicantd: tee-supplicant for stmmd.  Registers on the tee socket, relays RPMB RPCs to
 * rpmbd's mmc socket.  Exits 0 on SIGTERM/SIGINT, 1 when stmmd goes away (whoever started
 * us restarts the set), 2 on bad usage.
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "control.h"
#include "ready.h"
#include "rpmb.h"
#include "supp.h"

#define MMC_TIMEOUT_MS 5000

/* Owners for main's cleanup (each frees NULL). */
typedef struct rpmb_mmc SuppMmc;
typedef struct supp SuppConn;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SuppMmc, rpmb_mmc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SuppConn, supp_free)

static const char description[] =
	"supplicantd plays tee-supplicant: it registers with stmmd on the tee socket and\n"
	"serves OP-TEE's legacy RPMB RPC (OPTEE_RPC_CMD_RPMB: GET_DEV_INFO, DATA_REQ) by\n"
	"relaying each request to rpmbd as one MMC_IOC_MULTI_CMD-like sequence, as\n"
	"tee-supplicant does on a board.  It never sees the RPMB key and never interprets\n"
	"result codes.  Both --tee-socket and --mmc-socket are required; `stmm-emu up`\n"
	"passes them.  If rpmbd goes away it reconnects on the next request; if stmmd goes\n"
	"away it exits with status 1.  SIGTERM/SIGINT: clean exit.\n"
	"--control-socket PATH takes run-time faults (EMU_MSG_CTRL_FAULT_*, `stmm-emu fault\n"
	"supplicant`): exit, stall, drop or answer an error at the Nth RPC from now.\n";

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_autofree gchar *tee_socket = NULL, *mmc_socket = NULL, *control_socket = NULL;
	gboolean verbose = FALSE, no_multi_cmd = FALSE;
	int ready_fd = -1, r;
	GOptionEntry entries[] = {
		{ "tee-socket", 't', 0, G_OPTION_ARG_FILENAME, &tee_socket, "stmmd's tee socket", "PATH" },
		{ "mmc-socket", 'm', 0, G_OPTION_ARG_FILENAME, &mmc_socket, "rpmbd's mmc socket", "PATH" },
		{ "control-socket", 'c', 0, G_OPTION_ARG_FILENAME, &control_socket, "Serve run-time faults (`stmm-emu fault supplicant`) on this socket", "PATH" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Debug logging", NULL },
		{ "no-multi-cmd", 0, 0, G_OPTION_ARG_NONE, &no_multi_cmd, "Send each RPMB data command as its own request (EMU_MSG_MMC_CMD_REQ), as tee-supplicant before MMC_IOC_MULTI_CMD: other host I/O can reach the card between a request and its response read", NULL },
		{ "ready-fd", 0, 0, G_OPTION_ARG_INT, &ready_fd, "Write READY=1 and a newline to descriptor FD once registered with stmmd, then close it (how `stmm-emu up` waits)", "FD" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- tee-supplicant for stmmd");
	g_autoptr(GError) err = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE); /* outlives the connection */

	/* Options. */
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &err) || !tee_socket || !mmc_socket) {
		fprintf(stderr, "supplicantd: %s\n", err ? err->message : "need --tee-socket and --mmc-socket");
		return 2;
	}
	if (emu_ready_fd_check(ready_fd) < 0) {
		fprintf(stderr, "supplicantd: --ready-fd %d is not an open descriptor\n", ready_fd);
		return 2;
	}
	/* Logging. */
	if (verbose)
		g_log_set_debug_enabled(TRUE);
	/* Storage: the device behind rpmbd's socket (connected on the first request). */
	g_autoptr(SuppMmc) mmc = NULL;
	if ((r = rpmb_mmc_new(mmc_socket, MMC_TIMEOUT_MS, &mmc)) < 0) {
		g_printerr("supplicantd: device at %s: %s\n", mmc_socket, g_strerror(-r));
		return EXIT_FAILURE;
	}
	rpmb_mmc_set_no_multi_cmd(mmc, no_multi_cmd);
	/* Sockets: register with stmmd. */
	g_autoptr(SuppConn) supp = NULL;
	if ((r = supp_connect(tee_socket, mmc, &supp)) < 0) {
		g_printerr("supplicantd: cannot register with stmmd at %s: %s\n", tee_socket,
			   r == -EBUSY ? "another supplicant is registered" : g_strerror(-r));
		return EXIT_FAILURE;
	}
	g_autoptr(SuppControl) control = NULL;
	if (control_socket && (r = supp_control_new(control_socket, &control)) < 0) {
		g_printerr("supplicantd: cannot listen on %s: %s\n", control_socket, g_strerror(-r));
		return EXIT_FAILURE;
	}
	/* Signals. */
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	/* Readiness: registered. */
	supp_attach(supp, loop);
	g_message("supplicantd registered with %s, device at %s", tee_socket, mmc_socket);
	if ((r = emu_ready_notify(ready_fd)) < 0)
		g_warning("--ready-fd %d: %s", ready_fd, g_strerror(-r));
	/* Loop, then teardown by the cleanups (connection before device). */
	g_main_loop_run(loop);
	return supp_lost(supp) ? EXIT_FAILURE : EXIT_SUCCESS;
}
