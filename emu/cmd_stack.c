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
#include "efi_util.h"
#include "stack.h"
#include "state.h"

#define STATE_HELP "state directory (default: $STMM_EMU_STATE, else ./.stmm-emu)"

struct up_args {
	char *state;
	int rpc_timeout_ms;
	int wait_ms;
	gboolean verbose;
	gboolean quiet;
	char **quirks;
	char **rpmbd_args;  /* hidden test hook: extra rpmbd arguments (fault plans) */
};

static void up_args_clear(struct up_args *a)
{
	g_free(a->state);
	g_strfreev(a->quirks);
	g_strfreev(a->rpmbd_args);
}

static void add_up_entries(GOptionContext *ctx, struct up_args *a)
{
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &a->state, STATE_HELP, "DIR" },
		{ "rpc-timeout", 0, 0, G_OPTION_ARG_INT, &a->rpc_timeout_ms,
		  "stmmd's wait for the supplicant per RPC (default: stmmd's own)", "MS" },
		{ "wait", 0, 0, G_OPTION_ARG_INT, &a->wait_ms,
		  "how long to wait for the first round trip (default 20000)", "MS" },
		{ "verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose,
		  "start stmmd with -v (debug log in stmmd.log)", NULL },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &a->quiet, "print nothing on success", NULL },
		{ "quirk", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a->quirks,
		  "stmmd quirks (repeatable, comma list: optee-stmm; 'none' clears); kept in "
		  "STATE/quirks for later starts",
		  "NAME" },
		{ "rpmbd-arg", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING_ARRAY, &a->rpmbd_args,
		  "test hook: pass ARG to a newly started rpmbd (repeatable), e.g. "
		  "--rpmbd-arg=--fail-after-writes=5",
		  "ARG" },
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

/* Bring the stack up; prints the outcome.  Returns an exit code. */
static int do_up(const struct emu_state *st, const struct up_args *a, bool *ret_started)
{
	g_autofree char *bin_dir = emu_self_dir();
	struct emu_up_options opt = {
		.bin_dir = bin_dir,
		.rpc_timeout_ms = a->rpc_timeout_ms,
		.verbose = a->verbose,
		.wait_ms = a->wait_ms > 0 ? a->wait_ms : 20000,
		.rpmbd_args = a->rpmbd_args,
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
	opt.quirks = quirks;
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
	if (a->quiet)
		return EMU_EXIT_OK;
	if (res.already_up && a->quirks)
		printf("stmm-emu: note: stmmd keeps its quirks until restarted (down, then up)\n");
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
	printf("; variable payload %" PRIu64 " bytes\n", res.max_payload);
	return EMU_EXIT_OK;
}

int emu_cmd_up(int argc, char **argv)
{
	struct up_args a = { 0 };
	g_autoptr(GOptionContext) ctx = g_option_context_new("- start rpmbd, stmmd and supplicantd");
	struct emu_state st = { 0 };
	g_autofree char *import = NULL;
	GOptionEntry import_entries[] = {
		{ "import", 0, 0, G_OPTION_ARG_FILENAME, &import,
		  "fresh state only: first load this EDK2 variable file (see `stmm-emu import`)",
		  "FILE.fd" },
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
	if (import) {
		g_autofree char *db = emu_state_path(&st, "rpmb.db");
		if (g_file_test(db, G_FILE_TEST_EXISTS)) {
			emu_cli_err("up --import: %s is not a fresh state (it has an RPMB device, %s); "
				    "use `stmm-emu down` then `stmm-emu import FILE`", st.dir, db);
			rc = EMU_EXIT_STACK;
		} else {
			rc = emu_import_file(&st, import, 0, a.wait_ms > 0 ? a.wait_ms : 20000, a.quiet);
		}
	}
	if (rc == EMU_EXIT_OK)
		rc = do_up(&st, &a, NULL);
	emu_state_clear(&st);
	up_args_clear(&a);
	return rc;
}

static int do_down(const struct emu_state *st, bool quiet)
{
	int lock_fd, stopped = 0;

	if (!g_file_test(st->dir, G_FILE_TEST_IS_DIR)) {
		if (!quiet)
			printf("stmm-emu: not running (no %s)\n", st->dir);
		return EMU_EXIT_OK;
	}
	int r = emu_stack_lock(st, &lock_fd);
	if (r < 0) {
		emu_cli_err("down: %s: %s", st->dir, g_strerror(-r));
		return EMU_EXIT_STACK;
	}
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
	close(lock_fd);
	if (!stopped && !quiet)
		printf("stmm-emu: not running (state %s)\n", st->dir);
	return EMU_EXIT_OK;
}

int emu_cmd_down(int argc, char **argv)
{
	g_autofree char *state = NULL;
	gboolean quiet = FALSE;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, STATE_HELP, "DIR" },
		{ "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "print nothing", NULL },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- stop the daemons");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "SIGTERM to supplicantd, stmmd, rpmbd (in that order), SIGKILL after 5 s.\n"
		     "The state directory (RPMB contents, logs) is kept.\n\n" EMU_EXIT_CODES_HELP);
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;
	struct emu_state st;
	emu_state_init(&st, state);
	int rc = do_down(&st, quiet);
	emu_state_clear(&st);
	return rc;
}

/* ---- status ----------------------------------------------------------------------- */

struct status_info {
	pid_t pid[EMU_DAEMON_COUNT];
	bool mmc_listening, tee_listening;
	int ctrl_r;                   /* CTRL_STATUS result */
	struct emu_ctrl_status ctrl;
	efi_status_t payload_status;  /* GET_PAYLOAD_SIZE */
	uint64_t max_payload;
	efi_status_t query_status;    /* QueryVariableInfo(NV|BS|RT) */
	uint64_t q_max, q_remaining, q_max_var;
	char error[256];
};

static void collect_status(const struct emu_state *st, int timeout_ms, struct status_info *si)
{
	memset(si, 0, sizeof(*si));
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		si->pid[d] = emu_stack_pid(st, (enum emu_daemon)d);
	si->mmc_listening = emu_socket_listening(st->mmc_sock);
	si->tee_listening = emu_socket_listening(st->tee_sock);
	si->ctrl_r = si->tee_listening ? emu_stack_ctrl_status(st, timeout_ms, &si->ctrl) : -ENOENT;
	si->payload_status = EFI_NOT_STARTED;
	si->query_status = EFI_NOT_STARTED;
	if (!si->tee_listening)
		return;
	g_autoptr(emu_client) c = NULL;
	int r = emu_client_open(st->tee_sock, timeout_ms, &c);
	if (r < 0) {
		g_strlcpy(si->error, g_strerror(-r), sizeof(si->error));
		return;
	}
	si->payload_status = emu_client_get_payload_size(c, &si->max_payload);
	if (si->payload_status == EFI_SUCCESS)
		si->query_status = emu_client_query_variable_info(
			c,
			EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
				EFI_VARIABLE_RUNTIME_ACCESS,
			&si->q_max, &si->q_remaining, &si->q_max_var);
	g_strlcpy(si->error, emu_client_last_error(c), sizeof(si->error));
}

static bool all_running(const struct status_info *si)
{
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		if (!si->pid[d])
			return false;
	return si->payload_status == EFI_SUCCESS;
}

static void print_status_text(const struct emu_state *st, const struct status_info *si)
{
	char sbuf[64];

	printf("state:        %s\n", st->dir);
	for (int d = 0; d < EMU_DAEMON_COUNT; d++) {
		char label[32];
		g_snprintf(label, sizeof(label), "%s:", emu_daemon_name((enum emu_daemon)d));
		if (si->pid[d])
			printf("%-13s running (pid %d)", label, (int)si->pid[d]);
		else
			printf("%-13s not running", label);
		if (d == EMU_DAEMON_RPMBD)
			printf(", %s %s", st->mmc_sock, si->mmc_listening ? "listening" : "not listening");
		else if (d == EMU_DAEMON_STMMD)
			printf(", %s %s", st->tee_sock, si->tee_listening ? "listening" : "not listening");
		else if (si->ctrl_r == 0)
			printf(", %s", (si->ctrl.flags & EMU_CTRL_STATUS_SUPPLICANT) ?
					       "registered with stmmd" : "not registered with stmmd");
		printf("\n");
	}
	if (si->ctrl_r == 0) {
		const struct emu_ctrl_status *c = &si->ctrl;
		if (c->flags & EMU_CTRL_STATUS_COUNTER_SYNCED)
			printf("rpmb counter: %u\n", c->rpmb_write_counter);
		else
			printf("rpmb counter: unknown (not synced yet)\n");
		printf("rpmb key:     %s\n",
		       (c->flags & EMU_CTRL_STATUS_KEY_PROGRAMMED) ? "programmed" : "not known");
		if (c->flags & EMU_CTRL_STATUS_STORE_OPEN)
			printf("store:        %u variables, %" PRIu64 " bytes used, %" PRIu64
			       " free, %" PRIu64 " bytes region\n",
			       c->live_variables, c->store_used, c->store_free, c->store_total);
		else
			printf("store:        not loaded yet\n");
		if (c->flags & EMU_CTRL_STATUS_AUTH)
			printf("secure boot:  %s, SetupMode %d, SecureBoot %d%s\n",
			       (c->flags & EMU_CTRL_STATUS_SETUP_MODE) ? "setup mode" : "user mode",
			       !!(c->flags & EMU_CTRL_STATUS_SETUP_MODE),
			       !!(c->flags & EMU_CTRL_STATUS_SECURE_BOOT),
			       (c->flags & EMU_CTRL_STATUS_QUIRK_OPTEE_STMM) ? "; quirk optee-stmm" : "");
		printf("sessions:     %u\n", c->sessions);
	} else if (si->tee_listening) {
		printf("control:      CTRL_STATUS not available (%s)\n", g_strerror(-si->ctrl_r));
	}
	if (si->payload_status == EFI_SUCCESS)
		printf("payload:      %" PRIu64 " bytes (GET_PAYLOAD_SIZE - 2)\n", si->max_payload);
	else if (si->payload_status != EFI_NOT_STARTED)
		printf("payload:      %s%s%s%s\n", efi_status_str(si->payload_status, sbuf, sizeof(sbuf)),
		       *si->error ? " (" : "", si->error, *si->error ? ")" : "");
	if (si->query_status == EFI_SUCCESS)
		printf("query nv:     max storage %" PRIu64 ", remaining %" PRIu64
		       ", max variable %" PRIu64 "\n",
		       si->q_max, si->q_remaining, si->q_max_var);
}

static void print_status_json(const struct emu_state *st, const struct status_info *si)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	char sbuf[64];

	json_builder_begin_object(b);
	emu_json_add_string(b, "state", st->dir);
	emu_json_add_bool(b, "running", all_running(si));
	json_builder_set_member_name(b, "daemons");
	json_builder_begin_object(b);
	for (int d = 0; d < EMU_DAEMON_COUNT; d++) {
		json_builder_set_member_name(b, emu_daemon_name((enum emu_daemon)d));
		json_builder_begin_object(b);
		emu_json_add_int(b, "pid", si->pid[d]);
		emu_json_add_bool(b, "alive", si->pid[d] != 0);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "sockets");
	json_builder_begin_object(b);
	const struct { const char *name, *path; bool listening; } socks[] = {
		{ "mmc", st->mmc_sock, si->mmc_listening },
		{ "tee", st->tee_sock, si->tee_listening },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(socks); i++) {
		json_builder_set_member_name(b, socks[i].name);
		json_builder_begin_object(b);
		emu_json_add_string(b, "path", socks[i].path);
		emu_json_add_bool(b, "listening", socks[i].listening);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	json_builder_set_member_name(b, "ctrl");
	if (si->ctrl_r == 0) {
		const struct emu_ctrl_status *c = &si->ctrl;
		json_builder_begin_object(b);
		emu_json_add_bool(b, "supplicant_registered", c->flags & EMU_CTRL_STATUS_SUPPLICANT);
		emu_json_add_bool(b, "key_programmed", c->flags & EMU_CTRL_STATUS_KEY_PROGRAMMED);
		emu_json_add_bool(b, "counter_synced", c->flags & EMU_CTRL_STATUS_COUNTER_SYNCED);
		emu_json_add_int(b, "rpmb_write_counter", c->rpmb_write_counter);
		emu_json_add_bool(b, "store_open", c->flags & EMU_CTRL_STATUS_STORE_OPEN);
		emu_json_add_int(b, "live_variables", c->live_variables);
		emu_json_add_int(b, "store_total", (gint64)c->store_total);
		emu_json_add_int(b, "store_used", (gint64)c->store_used);
		emu_json_add_int(b, "store_free", (gint64)c->store_free);
		emu_json_add_int(b, "sessions", c->sessions);
		json_builder_set_member_name(b, "secure_boot");
		if (c->flags & EMU_CTRL_STATUS_AUTH) {
			json_builder_begin_object(b);
			emu_json_add_string(b, "mode", (c->flags & EMU_CTRL_STATUS_SETUP_MODE) ?
							       "setup" : "user");
			emu_json_add_int(b, "setup_mode", !!(c->flags & EMU_CTRL_STATUS_SETUP_MODE));
			emu_json_add_int(b, "secure_boot", !!(c->flags & EMU_CTRL_STATUS_SECURE_BOOT));
			json_builder_set_member_name(b, "quirks");
			json_builder_begin_array(b);
			if (c->flags & EMU_CTRL_STATUS_QUIRK_OPTEE_STMM)
				json_builder_add_string_value(b, "optee-stmm");
			json_builder_end_array(b);
			json_builder_end_object(b);
		} else {
			json_builder_add_null_value(b);
		}
		json_builder_end_object(b);
	} else {
		json_builder_add_null_value(b);
	}
	if (si->payload_status != EFI_NOT_STARTED) {
		emu_json_add_string(b, "payload_status",
				    efi_status_str(si->payload_status, sbuf, sizeof(sbuf)));
		emu_json_add_int(b, "max_payload", (gint64)si->max_payload);
	}
	if (si->query_status == EFI_SUCCESS) {
		json_builder_set_member_name(b, "query_nv");
		json_builder_begin_object(b);
		emu_json_add_int(b, "max_storage", (gint64)si->q_max);
		emu_json_add_int(b, "remaining", (gint64)si->q_remaining);
		emu_json_add_int(b, "max_variable_size", (gint64)si->q_max_var);
		json_builder_end_object(b);
	}
	json_builder_end_object(b);
	emu_json_print(b, false);
}

int emu_cmd_status(int argc, char **argv)
{
	g_autofree char *state = NULL;
	gboolean json = FALSE;
	int timeout = 0;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, STATE_HELP, "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "print one JSON object", NULL },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "per request (default 30000)", "MS" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- show the daemons and the store");
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "Processes (pid, alive), sockets, the RPMB write counter and store use (from\n"
		     "stmmd's CTRL_STATUS), the variable payload size and QueryVariableInfo for\n"
		     "nv,bs,rt.  Exit status 0 when all three run and a round trip works, else 3.");
	if (!emu_cli_parse(ctx, &argc, &argv))
		return EMU_EXIT_USAGE;

	struct emu_state st;
	struct status_info si;
	emu_state_init(&st, state);
	collect_status(&st, emu_cli_timeout_ms(timeout), &si);
	if (json)
		print_status_json(&st, &si);
	else
		print_status_text(&st, &si);
	int rc = all_running(&si) ? EMU_EXIT_OK : EMU_EXIT_STACK;
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

	add_up_entries(ctx, &a);
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
	emu_state_init(&st, a.state);
	a.quiet = TRUE;
	bool started = false;
	int rc = do_up(&st, &a, &started);
	if (rc != EMU_EXIT_OK)
		goto out;
	rc = run_command(argv + first, st.dir);
	if (started)
		(void)do_down(&st, true);
out:
	emu_state_clear(&st);
	up_args_clear(&a);
	return rc;
}
