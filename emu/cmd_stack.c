/* SPDX-License-Identifier: MIT */
/* stmm-emu up / down / status / run: the daemons of one state directory. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "config.h"
#include "efi_util.h"
#include "efivarfs.h"
#include "mount_cli.h"
#include "procscan.h"
#include "stack.h"
#include "store_at_rest.h"
#include "state.h"


struct up_args {
	char *state;
	int rpc_timeout_ms;
	int wait_ms;
	gboolean verbose;
	gboolean quiet;
	char **quirks;
	char **rpmbd_args;  /* hidden test hook: extra rpmbd arguments (fault plans) */
	char **supplicantd_args; /* extra supplicantd arguments */
	char **stmmd_args;       /* extra stmmd arguments */
	char *without;           /* "supplicantd": not started */
	char *rpmb_layout;
	gboolean trace, no_trace;
	gboolean reformat_store;
	gboolean no_round_trip;
	gboolean json;           /* up --json: one JSON object instead of the text line */
	char *rpmb_route, *normal_world; /* README "The kernel RPMB route" */
	char *durability;                /* full | process */
	char *profile;                   /* README "Which EDK2 build this is" */
};

static void up_args_clear(struct up_args *a)
{
	g_free(a->durability);
	g_free(a->state);
	g_strfreev(a->quirks);
	g_strfreev(a->rpmbd_args);
	g_strfreev(a->supplicantd_args);
	g_strfreev(a->stmmd_args);
	g_free(a->without);
	g_free(a->rpmb_layout);
	g_free(a->rpmb_route);
	g_free(a->normal_world);
	g_free(a->profile);
}

static void add_up_entries(GOptionContext *ctx, struct up_args *a)
{
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &a->state, EMU_STATE_HELP, "DIR" },
		{ "rpc-timeout", 0, 0, G_OPTION_ARG_INT, &a->rpc_timeout_ms,
		  "stmmd's wait for the supplicant per RPC (default: stmmd's own)", "MS" },
		{ "wait", 0, 0, G_OPTION_ARG_INT, &a->wait_ms,
		  "how long to wait for the first round trip (default 20000)", "MS" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose,
		  "start stmmd with -v (debug log in stmmd.log)", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, "print nothing on success", NULL },
		{ "quirk", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->quirks,
		  "stmmd quirks (repeatable, comma list: optee-stmm, rpmb-probe-not-implemented-fatal; 'none' clears); kept in "
		  "STATE/quirks for later starts",
		  "NAME" },
		{ "profile", 0, 0, G_OPTION_ARG_STRING, &a->profile,
		  "the EDK2 build StMM is: optee-stmm (default, OP-TEE's StMM RPMB build) or strict "
		  "(physical presence off, variable policy on, PK self-signed); kept in "
		  "STATE/stmm-emu.conf, applies when stmmd starts", "NAME" },
		{ "rpmb-layout", 0, 0, G_OPTION_ARG_STRING, &a->rpmb_layout,
		  "a new state's store: optee-fs (default: the file EFI_VARS in OP-TEE's RPMB file "
		  "system, as on a board) or raw (the store's bytes from RPMB block 0); kept for life",
		  "optee-fs|raw" },
		{ "trace", 0, 0, G_OPTION_ARG_NONE, &a->trace,
		  "stmmd and rpmbd record every message to STATE/trace.bin (read it with `stmm-emu "
		  "trace`); kept in STATE/stmm-emu.conf for later starts, applies to daemons started now",
		  NULL },
		{ "durability", 0, 0, G_OPTION_ARG_STRING, &a->durability,
		  "what an acknowledged variable write survives: full (default: on disk before "
		  "rpmbd answers, survives host power loss) or process (survives kill -9 of any "
		  "daemon, not a host power loss; SQLite WAL + synchronous=NORMAL); kept in "
		  "STATE/stmm-emu.conf, applies to an rpmbd started now",
		  "full|process" },
		{ "no-trace", 0, 0, G_OPTION_ARG_NONE, &a->no_trace,
		  "stop recording for daemons started from now on (clears the setting)", NULL },
		{ "no-round-trip", 0, 0, G_OPTION_ARG_NONE, &a->no_round_trip,
		  "return once every daemon reported ready, without the GET_PAYLOAD_SIZE round trip "
		  "(a stack whose StMM cannot come up on purpose, as in scenario S4)", NULL },
		{ "reformat-store", 0, 0, G_OPTION_ARG_NONE, &a->reformat_store,
		  "start stmmd even when the store on the device does not match the layout in "
		  "STATE/stmm-emu.conf (StMM then formats it: every variable lost)", NULL },
		{ "rpmb-route", 0, 0, G_OPTION_ARG_STRING, &a->rpmb_route,
		  "stmmd --rpmb-route: probe (default: OP-TEE probes the kernel route first) or "
		  "legacy; kept in STATE/stmm-emu.conf", "probe|legacy" },
		{ "normal-world", 0, 0, G_OPTION_ARG_STRING, &a->normal_world,
		  "who serves OP-TEE's RPMB RPCs: supplicant (default, tee-supplicant), kernel "
		  "(Linux routing RPMB in the kernel; stmmd without key writing, so the key must "
		  "be programmed already) or uboot-2025.01 (answers the probe NOT_IMPLEMENTED); "
		  "kept in STATE/stmm-emu.conf", "NAME" },
		{ "rpmbd-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->rpmbd_args,
		  "pass ARG to a newly started rpmbd (repeatable; see rpmbd --help), e.g. "
		  "--rpmbd-arg=--fail-after-writes=5",
		  "ARG" },
		{ "stmmd-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->stmmd_args,
		  "pass ARG to a newly started stmmd (repeatable; see stmmd --help), e.g. "
		  "--stmmd-arg=--no-write-key (an OP-TEE built with CFG_RPMB_WRITE_KEY=n)",
		  "ARG" },
		{ "supplicantd-arg", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->supplicantd_args,
		  "pass ARG to a newly started supplicantd (repeatable; see supplicantd --help), e.g. "
		  "--supplicantd-arg=--no-multi-cmd (a tee-supplicant before MMC_IOC_MULTI_CMD)",
		  "ARG" },
		{ "without", 0, 0, G_OPTION_ARG_STRING, &a->without,
		  "do not start supplicantd (a board whose tee-supplicant is not running yet); "
		  "stmmd then waits up to --rpc-timeout per RPC for one to register", "supplicantd" },
		G_OPTION_ENTRY_NULL
	};
	g_option_context_add_main_entries(ctx, entries, NULL);
}

/*
 * The quirk list stmmd starts with: --quirk's (saved to STATE/quirks once the stack came
 * up with it; "none" empties it), without it the saved list.  Names are checked by stmmd;
 * here only the syntax.  0 and *ret_list (g_free), or -EINVAL.
 */
static int resolve_quirks(const struct emu_state *st, char *const *opt, char **ret_list)
{
	g_autofree char *path = emu_state_path(st, "quirks");
	g_autofree char *saved = NULL;

	if (!opt) {
		if (!g_file_get_contents(path, &saved, NULL, NULL))
			saved = g_strdup("");
		*ret_list = g_strdup(g_strstrip(saved));
		return 0;
	}
	g_autoptr(GString) list = g_string_new("");
	for (char *const *q = opt; *q; q++) {
		g_auto(GStrv) parts = g_strsplit(*q, ",", -1);
		for (char **p = parts; *p; p++) {
			const char *w = g_strstrip(*p);
			if (!*w || strcmp(w, "none") == 0)
				continue;
			if (strspn(w, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(w))
				return -EINVAL;
			g_string_append_printf(list, "%s%s", list->len ? "," : "", w);
		}
	}
	*ret_list = g_string_free(g_steal_pointer(&list), FALSE);
	return 0;
}

/*
 * Ask stmmd whether it knows every name of the quirk list (`stmmd --check-quirks`), before
 * anything is started: a refused name must not leave rpmbd running (issue 15, defect 11).
 * Prints stmmd's answer on refusal.  0, or -EINVAL.
 */
static int check_quirks(const char *bin_dir, const char *list)
{
	if (!list || !*list)
		return 0;
	g_autofree char *stmmd = g_build_filename(bin_dir ? bin_dir : ".", "stmmd", NULL);
	char *argv[] = { stmmd, (char *)"--check-quirks", (char *)list, NULL };
	g_autofree char *errout = NULL;
	g_autoptr(GError) error = NULL;
	int status = 0;

	if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errout,
			  &status, &error)) {
		emu_cli_err("up: --quirk: cannot run %s: %s", stmmd, error->message);
		return -EINVAL;
	}
	if (!g_spawn_check_wait_status(status, NULL)) {
		emu_cli_err("up: --quirk: %s", g_strstrip(errout));
		return -EINVAL;
	}
	return 0;
}

/*
 * A stmmd that kept running may have OP-TEE's RPMB dead state: `up` restarts nothing there
 * (that is faithful: only a reboot clears it), so say so, even with --quiet, and name the
 * way out.
 */
static void warn_if_rpmb_dead(const struct emu_state *st, int timeout_ms)
{
	struct emu_ctrl_status c;

	if (emu_stack_ctrl_status(st, timeout_ms, &c) < 0 || !(c.flags & EMU_CTRL_STATUS_RPMB_DEAD))
		return;
	g_autofree char *since = emu_format_time((int64_t)c.rpmb_dead_since);
	emu_cli_err("up: warning: stmmd's RPMB is dead since %s (the write of block %u failed %u "
		    "times); as on OP-TEE every NV write fails with EFI_DEVICE_ERROR until the store "
		    "is read again: run `stmm-emu reset`", since, c.fail_address, c.fail_attempts);
}

/* `up --trace` / `--no-trace`: recorded in STATE/stmm-emu.conf, which daemon_argv reads. */
static int set_trace(const struct emu_state *st, bool on)
{
	g_autoptr(GString) err = g_string_new("");
	g_autofree char *path = emu_state_path(st, EMU_CONFIG_FILE);
	struct emu_config cfg;
	int r = emu_config_load(st, &cfg, err);
	if (r == 0 && cfg.trace != on) {
		cfg.trace = on;
		r = emu_config_save(path, path, &cfg, err);
	}
	if (r < 0)
		emu_cli_err("up: --trace: %s", err->str);
	return r;
}

/* `up --durability`: recorded in STATE/stmm-emu.conf, which daemon_argv reads. */
static int set_durability(const struct emu_state *st, const char *mode)
{
	g_autoptr(GString) err = g_string_new("");
	g_autofree char *path = emu_state_path(st, EMU_CONFIG_FILE);
	struct emu_config cfg;
	int r = emu_config_load(st, &cfg, err);
	if (r == 0 && strcmp(cfg.durability, mode) != 0) {
		g_strlcpy(cfg.durability, mode, sizeof(cfg.durability));
		r = emu_config_save(path, path, &cfg, err);
	}
	if (r < 0)
		emu_cli_err("up: --durability: %s", err->str);
	return r;
}

/* Bring the stack up; prints the outcome.  Returns an exit code. */
static int do_up(const struct emu_state *st, const struct up_args *a, bool *ret_started)
{
	g_autofree char *bin_dir = emu_daemon_dir();
	struct emu_up_options opt = {
		.bin_dir = bin_dir,
		.rpc_timeout_ms = a->rpc_timeout_ms,
		.verbose = a->verbose,
		.wait_ms = a->wait_ms > 0 ? a->wait_ms : 20000,
		.rpmbd_args = a->rpmbd_args,
		.supplicantd_args = a->supplicantd_args,
		.stmmd_args = a->stmmd_args,
		.without_supplicant = a->without != NULL,
		.rpmb_layout = a->rpmb_layout,
		.no_round_trip = a->no_round_trip,
		.rpmb_route = a->rpmb_route,
		.normal_world = a->normal_world,
		.profile = a->profile,
	};
	struct emu_up_result res;
	g_autoptr(GString) err = g_string_new("");
	int lock_fd;

	int r = emu_stack_lock(st, &lock_fd);
	if (r < 0) {
		emu_cli_err("up: %s: %s", st->dir, g_strerror(-r));
		return EMU_EXIT_STACK;
	}
	g_autofree char *quirks = NULL;
	r = resolve_quirks(st, a->quirks, &quirks);
	if (r < 0) {
		close(lock_fd);
		emu_cli_err("up: --quirk: names are lower-case words (see stmmd --help)");
		return EMU_EXIT_USAGE;
	}
	if (a->quirks && check_quirks(bin_dir, quirks) < 0) {
		close(lock_fd);
		return EMU_EXIT_USAGE;
	}
	opt.quirks = quirks;
	if (a->without && strcmp(a->without, "supplicantd") != 0) {
		close(lock_fd);
		emu_cli_err("up: --without %s: only supplicantd can be left out", a->without);
		return EMU_EXIT_USAGE;
	}
	if (a->durability && !emu_durability_valid(a->durability)) {
		close(lock_fd);
		emu_cli_err("up: --durability %s: want full or process", a->durability);
		return EMU_EXIT_USAGE;
	}
	if (a->durability && (r = set_durability(st, a->durability)) < 0) {
		close(lock_fd);
		return EMU_EXIT_STACK;
	}
	if ((a->trace || a->no_trace) && (r = set_trace(st, a->trace)) < 0) {
		close(lock_fd);
		return EMU_EXIT_STACK;
	}
	if (!a->reformat_store && !emu_stack_pid(st, EMU_DAEMON_STMMD)) {
		r = emu_store_layout_guard(st, err);
		if (r < 0) {
			close(lock_fd);
			emu_cli_err("up: %s", err->str);
			return EMU_EXIT_STACK;
		}
	}
	r = emu_stack_up(st, &opt, &res, err);
	if (r == 0 && a->quirks) {
		g_autofree char *path = emu_state_path(st, "quirks");
		g_autofree char *text = g_strdup_printf("%s\n", quirks);
		if (!g_file_set_contents(path, text, -1, NULL))
			emu_cli_err("up: warning: could not save %s", path);
	}
	close(lock_fd);
	if (r < 0) {
		emu_cli_err("up: %s", err->str);
		return EMU_EXIT_STACK;
	}
	if (ret_started)
		*ret_started = !res.already_up;
	if (!a->no_round_trip && !a->without) /* else StMM may still be booting: no status yet */
		warn_if_rpmb_dead(st, opt.wait_ms);
	if (a->json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		emu_json_add_string(b, "state", st->dir);
		emu_json_add_bool(b, "already_up", res.already_up);
		json_builder_set_member_name(b, "daemons");
		json_builder_begin_object(b);
		for (int d = 0; d < EMU_DAEMON_COUNT; d++) {
			json_builder_set_member_name(b, emu_daemon_name((enum emu_daemon)d));
			json_builder_begin_object(b);
			emu_json_add_int(b, "pid", res.pid[d]);
			emu_json_add_bool(b, "started", res.started[d]);
			json_builder_end_object(b);
		}
		json_builder_end_object(b);
		if (a->no_round_trip || a->without || res.already_up) {
			json_builder_set_member_name(b, "max_payload");
			json_builder_add_null_value(b);
		} else {
			emu_json_add_int(b, "max_payload", (gint64)res.max_payload);
		}
		json_builder_end_object(b);
		emu_json_print(b, false);
		return EMU_EXIT_OK;
	}
	if (a->quiet)
		return EMU_EXIT_OK;
	if (res.already_up && a->quirks)
		printf("stmm-emu: note: stmmd keeps its quirks until restarted (down, then up)\n");
	if (res.already_up && a->profile)
		printf("stmm-emu: note: stmmd keeps its profile until restarted (down, then up)\n");
	if (res.already_up) {
		printf("stmm-emu: already up (state %s): rpmbd %d, stmmd %d, supplicantd %d\n",
		       st->dir, (int)res.pid[EMU_DAEMON_RPMBD], (int)res.pid[EMU_DAEMON_STMMD],
		       (int)res.pid[EMU_DAEMON_SUPPLICANTD]);
		return EMU_EXIT_OK;
	}
	printf("stmm-emu: up (state %s):", st->dir);
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		printf("%s %s %d%s", d ? "," : "", emu_daemon_name((enum emu_daemon)d),
		       (int)res.pid[d], res.started[d] ? " (started)" : "");
	if (a->no_round_trip || a->without)
		printf("; no round trip tried (%s)\n", a->without ? "no supplicant" : "--no-round-trip");
	else
		printf("; variable payload %" PRIu64 " bytes\n", res.max_payload);
	return EMU_EXIT_OK;
}

/*
 * up --var-store-size/--ftw-spare-size/--rpmb-size: recorded in STATE/stmm-emu.conf
 * before anything starts, for a fresh state only (one without rpmb.db).
 */
static int set_fresh_layout(const struct emu_state *st, gint64 vs, gint64 spare, gint64 rpmb,
			    bool import)
{
	g_autofree char *db = emu_state_path(st, "rpmb.db");
	g_autoptr(GString) err = g_string_new("");
	struct emu_config cfg;

	if (import) {
		emu_cli_err("up: --import takes its layout from the file; no --var-store-size, "
			    "--ftw-spare-size or --rpmb-size with it");
		return EMU_EXIT_USAGE;
	}
	if (g_file_test(db, G_FILE_TEST_EXISTS)) {
		emu_cli_err("up: --var-store-size/--ftw-spare-size/--rpmb-size: %s is not a fresh state "
			    "(it has an RPMB device, %s); the layout of a store is chosen once", st->dir, db);
		return EMU_EXIT_USAGE;
	}
	if (vs < 0 || vs > G_MAXUINT32 || spare < 0 || spare > G_MAXUINT32 || rpmb < 0 ||
	    rpmb % (128 * 1024) || rpmb / (128 * 1024) > 255) {
		emu_cli_err("up: sizes must be positive; --rpmb-size a multiple of 131072 up to 255 of them");
		return EMU_EXIT_USAGE;
	}
	if (g_mkdir_with_parents(st->dir, 0700) < 0 || emu_config_load(st, &cfg, err) < 0) {
		emu_cli_err("up: %s: %s", st->dir, err->len ? err->str : g_strerror(errno));
		return EMU_EXIT_STACK;
	}
	if (vs)
		cfg.var_store_size = (uint32_t)vs;
	if (spare)
		cfg.ftw_spare_size = (uint32_t)spare;
	if (rpmb)
		cfg.rpmb_size_mult = (uint32_t)(rpmb / (128 * 1024));
	g_autofree char *conf = emu_state_path(st, EMU_CONFIG_FILE);
	if (emu_config_save(conf, conf, &cfg, err) < 0) {
		emu_cli_err("up: %s", err->str);
		return EMU_EXIT_STACK;
	}
	return EMU_EXIT_OK;
}

int emu_cmd_up(int argc, char **argv)
{
	struct up_args a = { 0 };
	g_autoptr(GOptionContext) ctx = g_option_context_new("- start rpmbd, stmmd and supplicantd");
	struct emu_state st = { 0 };
	g_autofree char *import = NULL;
	gint64 var_store_size = 0, ftw_spare_size = 0, rpmb_size = 0;
	GOptionEntry import_entries[] = {
		{ "import", 0, 0, G_OPTION_ARG_FILENAME, &import,
		  "fresh state only: first load this EDK2 variable file (see `stmm-emu import`)",
		  "FILE.fd" },
		{ "var-store-size", 0, 0, G_OPTION_ARG_INT64, &var_store_size,
		  "fresh state only: the variable store's size (stmmd --var-store-size; default 16384)", "BYTES" },
		{ "ftw-spare-size", 0, 0, G_OPTION_ARG_INT64, &ftw_spare_size,
		  "fresh state only: the FTW spare area's size (default 16384)", "BYTES" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &a.json,
		  "one JSON object: state, already_up, daemons {pid, started}, max_payload", NULL },
		{ "rpmb-size", 0, 0, G_OPTION_ARG_INT64, &rpmb_size,
		  "fresh state only: the RPMB partition's size, a multiple of 128 KiB (EXT_CSD RPMB_SIZE_MULT)", "BYTES" },
		G_OPTION_ENTRY_NULL
	};

	add_up_entries(ctx, &a);
	g_option_context_add_main_entries(ctx, import_entries, NULL);
	g_option_context_set_description(
		ctx, "Starts the three daemons of the state directory as separate processes\n"
		     "(next to this binary), logs to STATE/<prog>.log, pids in STATE/<prog>.pid,\n"
		     "and returns once a real GET_PAYLOAD_SIZE round trip went through all four\n"
		     "processes.  If the stack is already up it says so and exits 0.  A daemon\n"
		     "that died (or was killed) is started again, together with supplicantd\n"
		     "when rpmbd or stmmd was restarted: `up` is also how to restart.\n\n"
		     "Stop with `stmm-emu down`.\n\n" EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv)) {
		up_args_clear(&a);
		return EMU_EXIT_USAGE;
	}
	emu_state_init(&st, a.state);
	int rc = EMU_EXIT_OK;
	if (var_store_size || ftw_spare_size || rpmb_size)
		rc = set_fresh_layout(&st, var_store_size, ftw_spare_size, rpmb_size, import != NULL);
	if (rc == EMU_EXIT_OK && import) {
		g_autofree char *db = emu_state_path(&st, "rpmb.db");
		if (g_file_test(db, G_FILE_TEST_EXISTS)) {
			emu_cli_err("up --import: %s is not a fresh state (it has an RPMB device, %s); "
				    "use `stmm-emu down` then `stmm-emu import FILE`", st.dir, db);
			rc = EMU_EXIT_STACK;
		} else {
			rc = emu_import_file(&st, import, 0, a.wait_ms > 0 ? a.wait_ms : 20000,
					     a.quiet || a.json);
		}
	}
	if (rc == EMU_EXIT_OK)
		rc = do_up(&st, &a, NULL);
	emu_state_clear(&st);
	up_args_clear(&a);
	return rc;
}

/*
 * Stop the daemons a process scan finds (procscan.h): those of state directory `dir`, or
 * with dir NULL every one whose state is under `under` (NULL: all).  How many ran.
 */
static int down_scanned(const char *dir, const char *under, bool quiet)
{
	g_autoptr(GArray) procs = emu_procscan();
	int stopped = 0;

	/* Reverse order of start: the supplicant first, the device last. */
	for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--) {
		for (guint i = 0; i < procs->len; i++) {
			const struct emu_proc *e = &g_array_index(procs, struct emu_proc, i);
			if ((int)e->daemon != d || (dir && strcmp(e->state_dir, dir) != 0) ||
			    (!dir && under && !g_str_has_prefix(e->state_dir, under)))
				continue;
			if (emu_stack_stop_pid(e->pid, e->daemon, 5000)) {
				stopped++;
				if (!quiet)
					printf("stmm-emu: stopped %s (pid %d, state %s%s)\n",
					       emu_daemon_name(e->daemon), (int)e->pid, e->state_dir,
					       e->dir_exists ? "" : ", gone");
			}
		}
	}
	return stopped;
}

static int do_down(const struct emu_state *st, bool quiet)
{
	int lock_fd, stopped = 0;

	if (!g_file_test(st->dir, G_FILE_TEST_IS_DIR)) {
		/* Removed under running daemons (issue 15 #5): find them by their argv. */
		if (!down_scanned(st->dir, NULL, quiet) && !quiet)
			printf("stmm-emu: not running (no %s)\n", st->dir);
		return EMU_EXIT_OK;
	}
	int r = emu_stack_lock(st, &lock_fd);
	if (r < 0) {
		emu_cli_err("down: %s: %s", st->dir, g_strerror(-r));
		return EMU_EXIT_STACK;
	}
	/* efivarfs mounts served by this stack first (README "Using your own tools"). */
	int mounts = efivarfs_record_unmount_all(st->dir);
	if (mounts > 0 && !quiet)
		printf("stmm-emu: unmounted %d efivarfs mount%s\n", mounts, mounts == 1 ? "" : "s");
	/* Reverse order of start: the supplicant first, the device last. */
	for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--) {
		pid_t pid = emu_stack_pid(st, (enum emu_daemon)d);
		if (emu_stack_stop(st, (enum emu_daemon)d, 5000)) {
			stopped++;
			if (!quiet)
				printf("stmm-emu: stopped %s (pid %d)\n",
				       emu_daemon_name((enum emu_daemon)d), (int)pid);
		}
	}
	/* Daemons of this directory whose pid files were lost. */
	stopped += down_scanned(st->dir, NULL, quiet);
	close(lock_fd);
	if (!stopped && !quiet)
		printf("stmm-emu: not running (state %s)\n", st->dir);
	return EMU_EXIT_OK;
}

int emu_cmd_down(int argc, char **argv)
{
	g_autofree char *state = NULL;
	g_autofree char *under = NULL;
	gboolean quiet = FALSE, all = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, EMU_STATE_HELP, "DIR" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing", NULL },
		{ "all", 0, 0, G_OPTION_ARG_NONE, &all, "stop every stack of this user (`stmm-emu ps`)", NULL },
		{ "under", 0, 0, G_OPTION_ARG_FILENAME, &under, "with --all: only state directories under DIR", "DIR" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- stop the daemons");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "SIGTERM to supplicantd, stmmd, rpmbd (in that order), SIGKILL after 5 s.\n"
		     "The state directory (RPMB contents, logs) is kept.\n\n" EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	if (under && !all) {
		emu_cli_err("down: --under needs --all");
		return EMU_EXIT_USAGE;
	}
	if (all) {
		g_autofree char *abs = under ? g_canonicalize_filename(under, NULL) : NULL;
		if (!down_scanned(NULL, abs, quiet) && !quiet)
			printf("stmm-emu: nothing running\n");
		return EMU_EXIT_OK;
	}
	struct emu_state st;
	emu_state_init(&st, state);
	int rc = do_down(&st, quiet);
	emu_state_clear(&st);
	return rc;
}

/* ---- run -------------------------------------------------------------------------- */

struct run_signals {
	struct sigaction old_int, old_quit;
};

/* In CMD, between fork and exec: the dispositions stmm-emu had, SIGPIPE the default. */
static void run_child_setup(gpointer data)
{
	const struct run_signals *sig = data;

	sigaction(SIGINT, &sig->old_int, NULL);
	sigaction(SIGQUIT, &sig->old_quit, NULL);
	signal(SIGPIPE, SIG_DFL);
}

/*
 * Run CMD (searched in PATH) with STMM_EMU_STATE=state and our stdin/stdout/stderr; its
 * exit status, 128+N when killed by signal N, 127 when it could not be run.  Like
 * system(): the terminal's ^C goes to CMD while we wait to take the stack down.
 */
static int run_command(char **cmd, const char *state)
{
	g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "STMM_EMU_STATE", state, TRUE);
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct run_signals sig;
	g_autoptr(GError) error = NULL;
	int status = 0;

	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &sig.old_int);
	sigaction(SIGQUIT, &ign, &sig.old_quit);
	gboolean ok = g_spawn_sync(NULL, cmd, env,
				   G_SPAWN_SEARCH_PATH_FROM_ENVP | G_SPAWN_CHILD_INHERITS_STDIN,
				   run_child_setup, &sig, NULL, NULL, &status, &error);
	sigaction(SIGINT, &sig.old_int, NULL);
	sigaction(SIGQUIT, &sig.old_quit, NULL);
	if (!ok) {
		emu_cli_err("run: %s: %s", cmd[0], error->message);
		return 127;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int emu_cmd_run(int argc, char **argv)
{
	struct up_args a = { 0 };
	g_autoptr(GOptionContext) ctx = g_option_context_new("[--] CMD [ARGS...] - run CMD against a running stack");
	struct emu_state st = { 0 };

	gboolean efivarfs = FALSE;
	g_autofree char *efivarfs_kernel = NULL;
	GOptionEntry efivarfs_entries[] = {
		{ "efivarfs", 0, 0, G_OPTION_ARG_NONE, &efivarfs,
		  "CMD in a private mount namespace with the store at /sys/firmware/efi/efivars "
		  "(README \"Using your own tools\")", NULL },
		{ "kernel", 0, 0, G_OPTION_ARG_STRING, &efivarfs_kernel,
		  "--efivarfs: that Linux version's efivarfs (see `mount --help`)", "VERSION" },
		G_OPTION_ENTRY_NULL
	};
	add_up_entries(ctx, &a);
	g_option_context_add_main_entries(ctx, efivarfs_entries, NULL);
	g_option_context_set_strict_posix(ctx, TRUE);
	g_option_context_set_description(
		ctx, "Brings the stack up (as `up`), runs CMD with STMM_EMU_STATE exported, then\n"
		     "takes the stack down again -- unless it was already up before, in which case\n"
		     "it is left running.  Exit status: CMD's (128+N when killed by signal N; 127\n"
		     "when it could not be run); 2 usage error; 3 the stack could not be started.");
	if (!emu_cli_parse(ctx, &argc, &argv)) {
		up_args_clear(&a);
		return EMU_EXIT_USAGE;
	}
	int first = 1;
	if (first < argc && strcmp(argv[first], "--") == 0)
		first++;
	if (first >= argc) {
		emu_cli_err("run: no command given (see --help)");
		up_args_clear(&a);
		return EMU_EXIT_USAGE;
	}
	enum efivarfs_kernel kernel = EFIVARFS_KERNEL_6_14;
	if (efivarfs_kernel && efivarfs_kernel_from_name(efivarfs_kernel, &kernel) < 0) {
		emu_cli_err("run: --kernel %s: not one of %s", efivarfs_kernel, EFIVARFS_KERNEL_NAMES);
		up_args_clear(&a);
		return EMU_EXIT_USAGE;
	}
	if (efivarfs && emu_run_efivarfs_preflight() != EMU_EXIT_OK) {
		up_args_clear(&a);
		return EMU_EXIT_STACK;
	}
	emu_state_init(&st, a.state);
	a.quiet = TRUE;
	bool started = false;
	int rc = do_up(&st, &a, &started);
	if (rc != EMU_EXIT_OK)
		goto out;
	rc = efivarfs ? emu_run_efivarfs(argv + first, st.dir, st.tee_sock, kernel)
		      : run_command(argv + first, st.dir);
	if (started)
		(void)do_down(&st, true);
out:
	emu_state_clear(&st);
	up_args_clear(&a);
	return rc;
}
