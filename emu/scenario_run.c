/* SPDX-License-Identifier: MIT */
/* Running one scenario on a private stack (scenario_run.h). */
#include <errno.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "efi_util.h"
#include "mm.h"
#include "report.h"
#include "scenario_run.h"
#include "scratch.h"
#include "stack.h"

#define SCEN_WAIT_DEFAULT_MS 10000
#define SCEN_WAIT_POLL_MS    20
#define SCEN_KILL_WAIT_MS    10000
#define SCEN_GET_MAX         (64u * 1024u)
#define SCEN_EXEC_BOUND_MS   10000

struct scen_client {
	emu_client *c;
	char *persona;
};

static void scen_client_free(gpointer p)
{
	struct scen_client *sc = p;

	emu_client_free(sc->c);
	g_free(sc->persona);
	g_free(sc);
}

struct run {
	const struct scenario *sc;
	const struct scen_run_options *opt;
	struct emu_state st;
	GHashTable *clients;     /* name -> struct scen_client */
	GHashTable *procs;       /* name -> struct proc (spawn) */
	GString *why;            /* the failure of the current step */
	char *base_dir;          /* the scenario file's directory (file: values) */
};

/* ---- stmm-emu as a child process ------------------------------------------------------- */

/*
 * `stmm-emu ARGS… --state DIR`; its exit status and output.  0, or -errno when it could
 * not run at all (reason in why).
 */
static int run_self(struct run *r, char *const *args, int *ret_exit, char **ret_out, char **ret_err)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) e = NULL;
	int wait_status;

	g_ptr_array_add(argv, (char *)r->opt->self);
	for (char *const *a = args; *a; a++)
		g_ptr_array_add(argv, *a);
	g_ptr_array_add(argv, (char *)"--state");
	g_ptr_array_add(argv, r->st.dir);
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out,
			  ret_err, &wait_status, &e)) {
		g_string_printf(r->why, "cannot run %s: %s", r->opt->self, e->message);
		return -EIO;
	}
	if (WIFEXITED(wait_status))
		*ret_exit = WEXITSTATUS(wait_status);
	else
		*ret_exit = 128 + (WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0);
	return 0;
}

static char *first_line(const char *s)
{
	const char *t = s ? s : "";
	while (*t == '\n' || *t == ' ')
		t++;
	const char *nl = strchr(t, '\n');
	return nl ? g_strndup(t, (gsize)(nl - t)) : g_strdup(t);
}

/* JSON `path` (dotted; numbers index arrays) in root; NULL with the reason in why. */
static JsonNode *json_path(JsonNode *root, const char *path, GString *why)
{
	g_auto(GStrv) parts = g_strsplit(path, ".", -1);
	JsonNode *n = root;

	for (char **p = parts; *p; p++) {
		if (JSON_NODE_HOLDS_OBJECT(n) && json_object_has_member(json_node_get_object(n), *p)) {
			n = json_object_get_member(json_node_get_object(n), *p);
			continue;
		}
		if (JSON_NODE_HOLDS_ARRAY(n) && g_ascii_isdigit(**p)) {
			guint64 i = g_ascii_strtoull(*p, NULL, 10);
			JsonArray *a = json_node_get_array(n);
			if (i < json_array_get_length(a)) {
				n = json_array_get_element(a, (guint)i);
				continue;
			}
		}
		g_string_printf(why, "no '%s' in the JSON (at '%s')", path, *p);
		return NULL;
	}
	return n;
}

/* Does `path OP want` hold in the JSON text?  1 yes, 0 no (why says what was there), <0 error. */
static int json_check(const char *json, const char *path, enum scen_op op, const char *want,
		      GString *why)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) e = NULL;

	if (!json_parser_load_from_data(parser, json ? json : "", -1, &e)) {
		g_string_printf(why, "output is not JSON: %s", e->message);
		return -EINVAL;
	}
	JsonNode *n = json_path(json_parser_get_root(parser), path, why);
	if (!n)
		return 0;
	g_autofree char *have = NULL;
	int cmp;
	char *end;
	double w = g_ascii_strtod(want, &end);
	bool want_number = *want && !*end;

	if (JSON_NODE_HOLDS_NULL(n)) {
		have = g_strdup("null");
		cmp = strcmp(want, "null") == 0 ? 0 : 1;
	} else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN) {
		bool b = json_node_get_boolean(n);
		have = g_strdup(b ? "true" : "false");
		cmp = strcmp(want, have) == 0 ? 0 : 1;
	} else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
		have = g_strdup(json_node_get_string(n));
		cmp = strcmp(have, want);
	} else if (JSON_NODE_HOLDS_VALUE(n) && want_number) {
		double v = json_node_get_double(n);
		if (json_node_get_value_type(n) == G_TYPE_INT64)
			v = (double)json_node_get_int(n);
		have = g_strdup_printf("%.17g", v);
		cmp = v < w ? -1 : v > w ? 1 : 0;
	} else {
		g_autoptr(JsonGenerator) g = json_generator_new();
		json_generator_set_root(g, n);
		have = json_generator_to_data(g, NULL);
		cmp = strcmp(have, want);
	}
	if (scen_op_holds(op, cmp))
		return 1;
	g_string_printf(why, "%s is %s, expected %s %s", path, have, scen_op_name(op), want);
	return 0;
}

/* Exit status and output expectations of a stack command step. */
static bool check_cli(struct run *r, const struct scen_step *s, int exit_status, const char *out,
		      const char *err)
{
	const struct scen_expect *ex = &s->expect;
	g_autofree char *err1 = first_line(err);

	switch (ex->kind) {
	case SCEN_EXPECT_EXIT:
		if (exit_status == ex->exit_status)
			return true;
		g_string_printf(r->why, "exit status %d, expected %d (%s)", exit_status,
				ex->exit_status, err1);
		return false;
	case SCEN_EXPECT_CONTAINS:
	case SCEN_EXPECT_LACKS: {
		bool has = out && strstr(out, ex->value);
		if (has == (ex->kind == SCEN_EXPECT_CONTAINS))
			return true;
		g_string_printf(r->why, "the output %s \"%s\"", has ? "has" : "lacks", ex->value);
		return false;
	}
	case SCEN_EXPECT_JSON:
		return json_check(out, ex->path, ex->op, ex->value, r->why) == 1;
	default:
		if (exit_status == 0)
			return true;
		g_string_printf(r->why, "exit status %d (%s)", exit_status, err1);
		return false;
	}
}

static bool step_self(struct run *r, const struct scen_step *s, const char *cmd,
		      const char *const *extra)
{
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autofree char *out = NULL, *err = NULL;
	int exit_status;

	if (cmd)
		g_ptr_array_add(args, (char *)cmd);
	for (char **a = s->argv; *a; a++)
		g_ptr_array_add(args, *a);
	for (const char *const *a = extra; a && *a; a++)
		g_ptr_array_add(args, (char *)*a);
	g_ptr_array_add(args, NULL);
	if (run_self(r, (char *const *)args->pdata, &exit_status, &out, &err) < 0)
		return false;
	return check_cli(r, s, exit_status, out, err);
}

/* ---- daemons --------------------------------------------------------------------------- */

static bool step_kill(struct run *r, const struct scen_step *s)
{
	enum emu_daemon d;
	int sig = SIGKILL;

	if (emu_daemon_from_name(s->argv[0], &d) < 0) {
		g_string_printf(r->why, "kill: '%s' is not rpmbd, stmmd or supplicantd", s->argv[0]);
		return false;
	}
	if (s->argv[1]) {
		const char *n = g_str_has_prefix(s->argv[1], "SIG") ? s->argv[1] + 3 : s->argv[1];
		static const struct { const char *name; int sig; } sigs[] = {
			{ "KILL", SIGKILL }, { "TERM", SIGTERM }, { "INT", SIGINT },
			{ "STOP", SIGSTOP }, { "CONT", SIGCONT }, { "ABRT", SIGABRT },
		};
		sig = 0;
		for (size_t i = 0; i < G_N_ELEMENTS(sigs); i++)
			if (strcmp(n, sigs[i].name) == 0)
				sig = sigs[i].sig;
		if (!sig) {
			g_string_printf(r->why, "kill: unknown signal '%s'", s->argv[1]);
			return false;
		}
	}
	pid_t pid = emu_stack_pid(&r->st, d);
	if (!pid) {
		g_string_printf(r->why, "kill: %s is not running", s->argv[0]);
		return false;
	}
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (kill(pid, sig) < 0) {
		g_string_printf(r->why, "kill %s (%d): %s", s->argv[0], (int)pid, g_strerror(errno));
		if (pfd >= 0)
			close(pfd);
		return false;
	}
	if (sig == SIGSTOP || sig == SIGCONT) {
		if (pfd >= 0)
			close(pfd);
		return true;
	}
	/* Returns when the process is gone: its pidfd turns readable at exit. */
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	int n = pfd >= 0 ? poll(&p, 1, SCEN_KILL_WAIT_MS) : -1;
	if (pfd >= 0)
		close(pfd);
	if (n != 1) {
		g_string_printf(r->why, "kill: %s (%d) still running %d ms after the signal",
				s->argv[0], (int)pid, SCEN_KILL_WAIT_MS);
		return false;
	}
	return true;
}

/* ---- exec: one of our daemons by hand --------------------------------------------------- */

/* A program run by a step: its pid (not reaped by anyone else) and its merged output. */
struct proc {
	GPid pid;
	int out_fd;
	GString *out;
};

static void proc_free(struct proc *p)
{
	if (!p)
		return;
	if (p->out_fd >= 0)
		close(p->out_fd);
	g_string_free(p->out, TRUE);
	g_free(p);
}

static void proc_stdout_to_pipe(gpointer data)
{
	(void)data;
	dup2(STDOUT_FILENO, STDERR_FILENO); /* one stream, in the order it was written */
}

/* Start PROG ARGS…: one of our daemons or tools/os_io, beside us. */
static struct proc *proc_start(struct run *r, char **words)
{
	static const char *const progs[] = { "rpmbd", "stmmd", "supplicantd", "os_io" };
	g_autofree char *dir = g_path_get_dirname(r->opt->self);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	bool known = false;

	for (size_t i = 0; i < G_N_ELEMENTS(progs); i++)
		known |= strcmp(words[0], progs[i]) == 0;
	if (!known) {
		g_string_printf(r->why, "'%s' is not rpmbd, stmmd, supplicantd or os_io", words[0]);
		return NULL;
	}
	if (strcmp(words[0], "os_io") == 0)
		g_ptr_array_add(argv, g_build_filename(dir, "tools", "os_io", NULL));
	else
		g_ptr_array_add(argv, g_build_filename(dir, words[0], NULL));
	for (char **a = words + 1; *a; a++) {
		g_auto(GStrv) parts = g_strsplit(*a, "{state}", -1);
		g_ptr_array_add(argv, g_strjoinv(r->st.dir, parts));
	}
	g_ptr_array_add(argv, NULL);

	g_autoptr(GError) e = NULL;
	struct proc *p = g_new0(struct proc, 1);
	p->out = g_string_new("");
	if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
				      proc_stdout_to_pipe, NULL, &p->pid, NULL, &p->out_fd, NULL, &e)) {
		g_string_printf(r->why, "%s: %s", words[0], e->message);
		p->out_fd = -1;
		proc_free(p);
		return NULL;
	}
	return p;
}

/*
 * Wait at most SCEN_EXEC_BOUND_MS for `p` to exit (its pidfd turns readable), reading its
 * output meanwhile; killed past the bound.  The exit status, or -1 when it had to be killed.
 */
static int proc_wait(struct proc *p, int bound_ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	gint64 deadline = g_get_monotonic_time() + (gint64)bound_ms * 1000;
	bool exited = false, eof = false;
	int status = 0;

	while (!(exited && eof)) {
		struct pollfd fds[2] = { { .fd = pfd, .events = POLLIN }, { .fd = eof ? -1 : p->out_fd, .events = POLLIN } };
		gint64 left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0 || pfd < 0)
			break;
		if (poll(fds, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN)
			exited = true;
		if (fds[1].revents & (POLLIN | POLLHUP)) {
			char buf[4096];
			ssize_t n = read(p->out_fd, buf, sizeof(buf));
			if (n > 0)
				g_string_append_len(p->out, buf, n);
			else if (n == 0 || errno != EINTR)
				eof = true;
		}
		if (exited && !eof) /* drain what is left without waiting for grandchildren */
			eof = !(poll(&fds[1], 1, 0) > 0 && (fds[1].revents & POLLIN));
	}
	if (pfd >= 0)
		close(pfd);
	if (!exited) {
		kill(p->pid, SIGKILL);
		(void)waitpid(p->pid, NULL, 0);
		return -1;
	}
	if (waitpid(p->pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool proc_finish(struct run *r, const struct scen_step *s, const char *what, struct proc *p)
{
	int st = proc_wait(p, SCEN_EXEC_BOUND_MS);

	if (st < 0) {
		g_string_printf(r->why, "%s: still running after %d ms (killed); output: %s", what,
				SCEN_EXEC_BOUND_MS, p->out->str);
		return false;
	}
	return check_cli(r, s, st, p->out->str, p->out->str);
}

static bool step_exec(struct run *r, const struct scen_step *s)
{
	struct proc *p = proc_start(r, s->argv);
	bool ok = p && proc_finish(r, s, s->argv[0], p);

	proc_free(p);
	return ok;
}

static bool step_spawn(struct run *r, const struct scen_step *s)
{
	if (g_hash_table_contains(r->procs, s->argv[0])) {
		g_string_printf(r->why, "spawn: '%s' is already running", s->argv[0]);
		return false;
	}
	struct proc *p = proc_start(r, s->argv + 1);
	if (!p)
		return false;
	g_hash_table_insert(r->procs, g_strdup(s->argv[0]), p);
	return true;
}

static bool step_reap(struct run *r, const struct scen_step *s)
{
	struct proc *p = NULL;
	char *key = NULL;

	if (!g_hash_table_steal_extended(r->procs, s->argv[0], (gpointer *)&key, (gpointer *)&p)) {
		g_string_printf(r->why, "reap: nothing spawned as '%s'", s->argv[0]);
		return false;
	}
	bool ok = proc_finish(r, s, s->argv[0], p);
	proc_free(p);
	g_free(key);
	return ok;
}

/* wait-log DAEMON TEXT [MS]: poll the daemon's log until it has TEXT, bounded. */
static bool step_wait_log(struct run *r, const struct scen_step *s)
{
	enum emu_daemon d;
	int bound = s->argv[2] ? atoi(s->argv[2]) : SCEN_WAIT_DEFAULT_MS;

	if (emu_daemon_from_name(s->argv[0], &d) < 0) {
		g_string_printf(r->why, "wait-log: '%s' is not rpmbd, stmmd or supplicantd", s->argv[0]);
		return false;
	}
	g_autofree char *name = g_strdup_printf("%s.log", s->argv[0]);
	g_autofree char *path = emu_state_path(&r->st, name);
	gint64 deadline = g_get_monotonic_time() + (gint64)bound * 1000;
	for (;;) {
		g_autofree char *text = NULL;
		if (g_file_get_contents(path, &text, NULL, NULL) && strstr(text, s->argv[1]))
			return true;
		if (g_get_monotonic_time() >= deadline)
			break;
		g_usleep(SCEN_WAIT_POLL_MS * 1000);
	}
	g_string_printf(r->why, "%s has no \"%s\" after %d ms", path, s->argv[1], bound);
	return false;
}

/* Whatever was spawned and not reaped is stopped with the scenario. */
static void proc_kill(gpointer data)
{
	struct proc *p = data;

	kill(p->pid, SIGKILL);
	(void)waitpid(p->pid, NULL, 0);
	proc_free(p);
}

/* ---- status ---------------------------------------------------------------------------- */

static int status_json(struct run *r, char **ret_out)
{
	char *args[] = { (char *)"status", (char *)"--json", NULL };
	g_autofree char *err = NULL;
	int exit_status;

	return run_self(r, args, &exit_status, ret_out, &err);
}

static bool step_status(struct run *r, const struct scen_step *s)
{
	g_autofree char *out = NULL;

	if (status_json(r, &out) < 0)
		return false;
	return json_check(out, s->expect.path, s->expect.op, s->expect.value, r->why) == 1;
}

/* wait PATH OP VALUE [MS]: poll the status until the condition holds, bounded. */
static bool step_wait(struct run *r, const struct scen_step *s)
{
	int bound = s->argv[3] ? atoi(s->argv[3]) : SCEN_WAIT_DEFAULT_MS;
	gint64 deadline = g_get_monotonic_time() + (gint64)bound * 1000;

	for (;;) {
		g_autofree char *out = NULL;
		g_string_truncate(r->why, 0);
		if (status_json(r, &out) < 0)
			return false;
		if (json_check(out, s->argv[0], s->expect.op, s->argv[2], r->why) == 1)
			return true;
		if (g_get_monotonic_time() >= deadline)
			break;
		g_usleep(SCEN_WAIT_POLL_MS * 1000);
	}
	g_string_prepend(r->why, "still not true after the wait: ");
	return false;
}

/* ---- TEE clients ----------------------------------------------------------------------- */

static struct scen_client *client_get(struct run *r, const char *name)
{
	struct scen_client *c = g_hash_table_lookup(r->clients, name);

	if (!c)
		g_string_printf(r->why, "no client '%s' (open it with `client %s`)", name, name);
	return c;
}

static bool step_client(struct run *r, const struct scen_step *s)
{
	const char *persona = s->argv[1] ? s->argv[1] : "linux";
	struct scen_client *c;

	if (g_hash_table_contains(r->clients, s->argv[0])) {
		g_string_printf(r->why, "client '%s' is already open", s->argv[0]);
		return false;
	}
	enum emu_client_persona p;
	if (emu_client_persona_from_name(persona, &p) < 0) {
		g_string_printf(r->why, "client persona '%s' unknown (linux, uboot)", persona);
		return false;
	}
	c = g_new0(struct scen_client, 1);
	c->persona = g_strdup(persona);
	int e = emu_client_open_persona(r->st.tee_sock, r->opt->timeout_ms, p, &c->c);
	if (e < 0) {
		g_string_printf(r->why, "client %s: %s: %s", s->argv[0], r->st.tee_sock, g_strerror(-e));
		scen_client_free(c);
		return s->expect.kind == SCEN_EXPECT_EXIT && s->expect.exit_status != 0;
	}
	g_hash_table_insert(r->clients, g_strdup(s->argv[0]), c);
	if (s->expect.kind == SCEN_EXPECT_EXIT && s->expect.exit_status != 0) {
		g_string_printf(r->why, "client %s opened, expected a failure", s->argv[0]);
		return false;
	}
	return true;
}

static bool step_close(struct run *r, const struct scen_step *s)
{
	if (!client_get(r, s->argv[0]))
		return false;
	g_hash_table_remove(r->clients, s->argv[0]);
	return true;
}

/* VALUE → bytes: "text", hex:…, repeat:N:XX, file:PATH, empty. */
static GByteArray *parse_value(struct run *r, const char *v)
{
	GByteArray *b = NULL;

	if (strcmp(v, "empty") == 0)
		return g_byte_array_new();
	if (g_str_has_prefix(v, "hex:")) {
		if (hex_decode(v + 4, &b) < 0)
			g_string_printf(r->why, "value '%s': bad hex", v);
		return b;
	}
	if (g_str_has_prefix(v, "repeat:")) {
		char *end;
		guint64 n = g_ascii_strtoull(v + 7, &end, 10);
		guint64 x = *end == ':' ? g_ascii_strtoull(end + 1, &end, 16) : 256;
		if (*end || n > 16u * 1024 * 1024 || x > 255) {
			g_string_printf(r->why, "value '%s': repeat:N:XX (N <= 16 MiB, XX a hex byte)", v);
			return NULL;
		}
		b = g_byte_array_sized_new((guint)n);
		g_byte_array_set_size(b, (guint)n);
		memset(b->data, (int)x, (size_t)n);
		return b;
	}
	if (g_str_has_prefix(v, "file:")) {
		g_autofree char *path = g_path_is_absolute(v + 5) ? g_strdup(v + 5) :
					g_build_filename(r->base_dir, v + 5, NULL);
		g_autoptr(GError) e = NULL;
		char *data;
		gsize len;
		if (!g_file_get_contents(path, &data, &len, &e)) {
			g_string_printf(r->why, "value %s: %s", v, e->message);
			return NULL;
		}
		return g_byte_array_new_take((guint8 *)data, len);
	}
	b = g_byte_array_new();
	g_byte_array_append(b, (const guint8 *)v, (guint)strlen(v));
	return b;
}

static bool name_guid(struct run *r, const struct scen_step *s, uint8_t **ret_name,
		      size_t *ret_size, efi_guid_t *ret_guid)
{
	if (ucs2_from_utf8(s->argv[1], ret_name, ret_size) < 0) {
		g_string_printf(r->why, "variable name '%s' is not valid (UTF-8 in the BMP)", s->argv[1]);
		return false;
	}
	if (emu_guid_arg(s->argv[2], ret_guid) < 0) {
		g_string_printf(r->why, "'%s' is not a GUID (global, security or the text form)",
				s->argv[2]);
		return false;
	}
	return true;
}

static bool check_efi(struct run *r, const struct scen_step *s, struct scen_client *c,
		      efi_status_t got)
{
	char b1[64], b2[64];

	if (s->expect.kind != SCEN_EXPECT_EFI || got == s->expect.efi_status)
		return true;
	const char *below = emu_client_last_error(c->c);
	g_string_printf(r->why, "%s, expected %s%s%s%s", efi_status_str(got, b1, sizeof(b1)),
			efi_status_str(s->expect.efi_status, b2, sizeof(b2)), *below ? " (" : "",
			below, *below ? ")" : "");
	return false;
}

static bool step_var(struct run *r, const struct scen_step *s)
{
	struct scen_client *c = client_get(r, s->argv[0]);
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	efi_guid_t guid;
	efi_status_t st;

	if (!c || !name_guid(r, s, &name, &name_size, &guid))
		return false;
	if (s->verb == SCEN_SET || s->verb == SCEN_DELETE) {
		uint32_t attrs = 0;
		g_autoptr(GByteArray) data = NULL;
		if (s->verb == SCEN_SET) {
			if (emu_attrs_parse(s->argv[3], &attrs) < 0) {
				g_string_printf(r->why, "'%s' is not an attribute list", s->argv[3]);
				return false;
			}
			if (!(data = parse_value(r, s->argv[4])))
				return false;
		}
		st = emu_client_set_variable(c->c, name, name_size, &guid, attrs, data ? data->len : 0,
					     data ? data->data : NULL);
		return check_efi(r, s, c, st);
	}
	g_autofree uint8_t *buf = g_malloc(SCEN_GET_MAX);
	uint64_t size = SCEN_GET_MAX;
	uint32_t attrs = 0;
	st = emu_client_get_variable(c->c, name, name_size, &guid, &attrs, &size, buf);
	if (!check_efi(r, s, c, st))
		return false;
	if (s->expect.kind != SCEN_EXPECT_EFI || !s->expect.value || st != EFI_SUCCESS)
		return true;
	g_autoptr(GByteArray) want = parse_value(r, s->expect.value);
	if (!want)
		return false;
	if (want->len == size && memcmp(want->data, buf, size) == 0)
		return true;
	g_autofree char *have = g_strndup((const char *)buf, MIN(size, 64));
	for (char *p = have; *p; p++)
		if (!g_ascii_isprint(*p))
			*p = '.';
	g_string_printf(r->why, "value is %" PRIu64 " bytes \"%s%s\", expected %u bytes (%s)", size,
			have, size > 64 ? "…" : "", want->len, s->expect.value);
	return false;
}

static bool step_query(struct run *r, const struct scen_step *s)
{
	struct scen_client *c = client_get(r, s->argv[0]);
	uint64_t max, remaining, max_var;
	uint32_t attrs;

	if (!c)
		return false;
	if (emu_attrs_parse(s->argv[1], &attrs) < 0) {
		g_string_printf(r->why, "'%s' is not an attribute list", s->argv[1]);
		return false;
	}
	return check_efi(r, s, c,
			 emu_client_query_variable_info(c->c, attrs, &max, &remaining, &max_var));
}

static bool step_event(struct run *r, const struct scen_step *s)
{
	struct scen_client *c = client_get(r, s->argv[0]);
	uint64_t fn;

	if (!c)
		return false;
	if (strcmp(s->argv[1], "exit-boot-services") == 0) /* as the persona's firmware does */
		return check_efi(r, s, c, emu_client_exit_boot_services(c->c));
	if (strcmp(s->argv[1], "ready-to-boot") == 0) {
		fn = SMM_VARIABLE_FUNCTION_READY_TO_BOOT;
	} else if (strcmp(s->argv[1], "exit-boot-services") == 0) {
		fn = SMM_VARIABLE_FUNCTION_EXIT_BOOT_SERVICE;
	} else {
		g_string_printf(r->why, "event '%s': ready-to-boot or exit-boot-services", s->argv[1]);
		return false;
	}
	return check_efi(r, s, c, emu_client_call(c->c, fn, NULL, 0));
}

/* ---- the run --------------------------------------------------------------------------- */

/* Every scenario is traced (issue 11 §4): `up` records STATE/trace.bin. */
static const char *const up_trace[] = { "--trace", NULL };

static bool run_step(struct run *r, const struct scen_step *s)
{
	switch (s->verb) {
	case SCEN_UP: return step_self(r, s, "up", up_trace);
	case SCEN_START: return step_self(r, s, "up", up_trace);
	case SCEN_DOWN: return step_self(r, s, "down", NULL);
	case SCEN_RESET: return step_self(r, s, "reset", NULL);
	case SCEN_FAULT: return step_self(r, s, "fault", NULL);
	case SCEN_CLI: return step_self(r, s, NULL, NULL);
	case SCEN_TRACE: return step_self(r, s, "trace", NULL);
	case SCEN_KILL: return step_kill(r, s);
	case SCEN_EXEC: return step_exec(r, s);
	case SCEN_SPAWN: return step_spawn(r, s);
	case SCEN_REAP: return step_reap(r, s);
	case SCEN_WAIT_LOG: return step_wait_log(r, s);
	case SCEN_CLIENT: return step_client(r, s);
	case SCEN_CLOSE: return step_close(r, s);
	case SCEN_SET:
	case SCEN_GET:
	case SCEN_DELETE: return step_var(r, s);
	case SCEN_QUERY: return step_query(r, s);
	case SCEN_EVENT: return step_event(r, s);
	case SCEN_STATUS: return step_status(r, s);
	case SCEN_WAIT: return step_wait(r, s);
	}
	g_string_assign(r->why, "unknown step");
	return false;
}

/* The last lines of the decoded trace, indented, after a failure. */
static void print_trace_tail(struct run *r)
{
	char *args[] = { (char *)"trace", NULL };
	g_autofree char *out = NULL, *err = NULL;
	int exit_status;
	FILE *f = r->opt->progress;

	if (r->opt->trace_lines <= 0 || run_self(r, args, &exit_status, &out, &err) < 0)
		return;
	if (exit_status != 0) {
		g_autofree char *e1 = first_line(err);
		fprintf(f, "    (no decoded trace: %s)\n", e1);
		return;
	}
	g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
	guint n = g_strv_length(lines);
	if (n && !*lines[n - 1])
		n--;
	guint from = n > (guint)r->opt->trace_lines ? n - (guint)r->opt->trace_lines : 0;
	fprintf(f, "    trace (last %u of %u records, `stmm-emu trace --state %s`):\n", n - from, n,
		r->st.dir);
	for (guint i = from; i < n; i++)
		fprintf(f, "    | %s\n", lines[i]);
}

static char *case_id(const struct scen_step *s)
{
	return g_strdup_printf("L%u: %s", s->line, s->text);
}

bool scenario_run(const struct scenario *sc, const struct scen_run_options *opt, GArray *report)
{
	struct run r = { .sc = sc, .opt = opt };
	g_autoptr(GString) err = g_string_new("");
	g_autofree char *suite = g_path_get_basename(sc->path);
	const char *source = *sc->source ? sc->source : sc->path;
	bool ok = true;
	gint64 t0 = g_get_monotonic_time();
	unsigned checked = 0;

	r.why = g_string_new("");
	r.base_dir = g_path_get_dirname(sc->path);
	r.clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, scen_client_free);
	r.procs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, proc_kill);
	if (emu_scratch_new("stmm-emu-scenario", &r.st, err) < 0) {
		emu_report_add(report, suite, "state", source, NULL, EMU_REPORT_FAIL, err->str, 0);
		fprintf(opt->progress, "FAIL %s: %s\n", sc->path, err->str);
		ok = false;
		goto out;
	}
	const struct scen_step *first = g_ptr_array_index(sc->steps, 0);
	if (first->verb != SCEN_UP) {
		char *none[] = { NULL };
		struct scen_step implicit = { .line = 0, .verb = SCEN_UP, .argv = none,
					      .text = (char *)"up (implicit)" };
		if (!step_self(&r, &implicit, "up", up_trace)) {
			emu_report_add(report, suite, "up (implicit)", source, NULL, EMU_REPORT_FAIL,
				       r.why->str, 0);
			fprintf(opt->progress, "FAIL %s: up: %s\n", sc->path, r.why->str);
			ok = false;
			goto out;
		}
	}
	for (guint i = 0; i < sc->steps->len; i++) {
		const struct scen_step *s = g_ptr_array_index(sc->steps, i);
		gint64 s0 = g_get_monotonic_time();
		g_string_truncate(r.why, 0);
		bool passed = run_step(&r, s);
		double secs = (double)(g_get_monotonic_time() - s0) / 1e6;
		g_autofree char *id = case_id(s);
		if (passed) {
			if (s->expect.kind != SCEN_EXPECT_NONE || s->verb == SCEN_WAIT) {
				emu_report_add(report, suite, id, source, NULL, EMU_REPORT_PASS, NULL, secs);
				checked++;
			}
			continue;
		}
		if (!r.why->len)
			g_string_assign(r.why, "failed");
		emu_report_add(report, suite, id, source, NULL, EMU_REPORT_FAIL, r.why->str, secs);
		fprintf(opt->progress, "FAIL %s:%u: %s\n     %s\n", sc->path, s->line, s->text,
			r.why->str);
		print_trace_tail(&r);
		for (guint j = i + 1; j < sc->steps->len; j++) {
			const struct scen_step *rest = g_ptr_array_index(sc->steps, j);
			if (rest->expect.kind == SCEN_EXPECT_NONE)
				continue;
			g_autofree char *rid = case_id(rest);
			emu_report_add(report, suite, rid, source, NULL, EMU_REPORT_FAIL,
				       "not reached: an earlier step failed", 0);
		}
		ok = false;
		break;
	}
	if (ok)
		fprintf(opt->progress, "PASS %s (%u expectations, %.1f s)%s%s\n", sc->path, checked,
			(double)(g_get_monotonic_time() - t0) / 1e6, *sc->name ? ": " : "", sc->name);
out:
	g_hash_table_destroy(r.clients);
	g_hash_table_destroy(r.procs);
	if (opt->ret_state && opt->keep && r.st.dir)
		*opt->ret_state = g_strdup(r.st.dir);
	emu_scratch_remove(&r.st, opt->keep, "scenario");
	g_string_free(r.why, TRUE);
	g_free(r.base_dir);
	return ok;
}
