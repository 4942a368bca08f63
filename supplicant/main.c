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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gone_watch.h"
#include "control.h"
#include "krpmb.h"
#include "pta_stmm.h"
#include "ready.h"
#include "rpmb.h"
#include "supp.h"
#include "version.h"

#define MMC_TIMEOUT_MS 5000

/* Owners for main's cleanup (each frees NULL). */
typedef struct rpmb_mmc SuppMmc;
typedef struct supp SuppConn;
typedef struct krpmb SuppKrpmb;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SuppMmc, rpmb_mmc_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SuppKrpmb, krpmb_free)
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
	"supplicant`): exit, stall, drop or answer an error at the Nth RPC from now.\n"
	"\n"
	"--route (README: The kernel RPMB route) picks the normal world it plays:\n"
	"  supplicant      (default) tee-supplicant: legacy RPC 1; PROBE_RESET/NEXT/FRAMES\n"
	"                  (22/23/24) answer TEEC_ERROR_NOT_SUPPORTED, as its default case.\n"
	"  kernel          Linux routing RPMB in the kernel: registers as the in-kernel RPMB\n"
	"                  handler and serves 22/23/24 over every --mmc-socket (repeatable,\n"
	"                  in enumeration order); no supplicant is needed for RPMB.\n"
	"  uboot-2025.01   U-Boot <= v2025.01 as OP-TEE's supplicant: legacy RPC 1 served,\n"
	"                  22/23/24 answer TEE_ERROR_NOT_IMPLEMENTED (the field bug fixed in\n"
	"                  optee_os 96e8f740b).\n";

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
	g_autofree gchar *tee_socket = NULL, *route = NULL, *control_socket = NULL;
	g_auto(GStrv) mmc_sockets = NULL;
	gboolean verbose = FALSE, no_multi_cmd = FALSE, version = FALSE;
	int ready_fd = -1, r;
	GOptionEntry entries[] = {
		{ "tee-socket", 't', 0, G_OPTION_ARG_FILENAME, &tee_socket, "stmmd's tee socket", "PATH" },
		{ "mmc-socket", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &mmc_sockets, "rpmbd's mmc socket (repeatable with --route kernel: one per device)", "PATH" },
		{ "route", 0, 0, G_OPTION_ARG_STRING, &route, "supplicant (default), kernel or uboot-2025.01 (see below)", "NAME" },
		{ "control-socket", 'c', 0, G_OPTION_ARG_FILENAME, &control_socket, "Serve run-time faults (`stmm-emu fault supplicant`) on this socket", "PATH" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Debug logging", NULL },
		{ "no-multi-cmd", 0, 0, G_OPTION_ARG_NONE, &no_multi_cmd, "Send each RPMB data command as its own request (EMU_MSG_MMC_CMD_REQ), as tee-supplicant before MMC_IOC_MULTI_CMD: other host I/O can reach the card between a request and its response read", NULL },
		{ "ready-fd", 0, 0, G_OPTION_ARG_INT, &ready_fd, "Write READY=1 and a newline to descriptor FD once registered with stmmd, then close it (how `stmm-emu up` waits)", "FD" },
		{ "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- tee-supplicant for stmmd");
	g_autoptr(GError) err = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE); /* outlives the connection */

	/* Options. */
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(ctx, description);
	if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
		fprintf(stderr, "supplicantd: %s\n", err->message);
		return 2;
	}
	if (version) {
		fputs(STMM_EMU_VERSION_LINE("supplicantd"), stdout);
		return 0;
	}
	if (!tee_socket || !mmc_sockets) {
		fprintf(stderr, "supplicantd: %s\n", err ? err->message : "need --tee-socket and --mmc-socket");
		return 2;
	}
	const char *mmc_socket = mmc_sockets[0];
	bool kernel = route && !strcmp(route, "kernel");
	if (route && !kernel && strcmp(route, "supplicant") && strcmp(route, "uboot-2025.01")) {
		fprintf(stderr, "supplicantd: --route %s: not supplicant, kernel or uboot-2025.01\n", route);
		return 2;
	}
	if (!kernel && mmc_sockets[1]) {
		fprintf(stderr, "supplicantd: several --mmc-socket need --route kernel\n");
		return 2;
	}
	if (kernel && no_multi_cmd) {
		fprintf(stderr, "supplicantd: --no-multi-cmd is tee-supplicant's, not the kernel route's\n");
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
	g_autoptr(SuppKrpmb) krpmb = NULL;
	if (kernel && (r = krpmb_new(mmc_sockets, MMC_TIMEOUT_MS, &krpmb)) < 0) {
		g_printerr("supplicantd: devices: %s\n", g_strerror(-r));
		return EXIT_FAILURE;
	}
	if (!kernel) {
		if ((r = rpmb_mmc_new(mmc_socket, MMC_TIMEOUT_MS, &mmc)) < 0) {
			g_printerr("supplicantd: device at %s: %s\n", mmc_socket, g_strerror(-r));
			return EXIT_FAILURE;
		}
		rpmb_mmc_set_no_multi_cmd(mmc, no_multi_cmd);
	}
	/* Sockets: register with stmmd, then the control socket. */
	g_autoptr(SuppConn) supp = NULL;
	r = kernel ? supp_connect_rpmb_handler(tee_socket, krpmb, &supp) :
		     supp_connect(tee_socket, mmc, &supp);
	if (r < 0) {
		g_printerr("supplicantd: cannot register with stmmd at %s: %s\n", tee_socket,
			   r == -EBUSY ? "another supplicant is registered" : g_strerror(-r));
		return EXIT_FAILURE;
	}
	if (route && !strcmp(route, "uboot-2025.01"))
		supp_set_probe_answer(supp, TEE_ERROR_NOT_IMPLEMENTED);
	g_autoptr(SuppControl) control = NULL;
	if (control_socket && (r = supp_control_new(control_socket, &control)) < 0) {
		g_printerr("supplicantd: cannot listen on %s: %s\n", control_socket, g_strerror(-r));
		return EXIT_FAILURE;
	}
	/* Signals. */
	signal(SIGPIPE, SIG_IGN);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	bool sock_gone = false;
	if (control_socket) /* rm -rf of the state directory */
		emu_gone_watch_add(control_socket, loop, &sock_gone);
	/* Readiness: registered. */
	supp_attach(supp, loop);
	g_message("supplicantd registered with %s as %s, device at %s%s", tee_socket,
		  route ? route : "supplicant", mmc_socket, mmc_sockets[1] ? " and more" : "");
	if ((r = emu_ready_notify(ready_fd)) < 0)
		g_warning("--ready-fd %d: %s", ready_fd, g_strerror(-r));
	/* Loop, then teardown by the cleanups (connection before device). */
	g_main_loop_run(loop);
	if (sock_gone)
		g_message(EMU_GONE_WATCH_LOG, control_socket);
	return supp_lost(supp) ? EXIT_FAILURE : EXIT_SUCCESS;
}
