/* SPDX-License-Identifier: MIT */
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "config.h"
#include "efi_util.h"
#include "ipc.h"
#include "tee_client.h"

static const char *const daemon_names[EMU_DAEMON_COUNT] = {
	[EMU_DAEMON_RPMBD] = "rpmbd",
	[EMU_DAEMON_STMMD] = "stmmd",
	[EMU_DAEMON_SUPPLICANTD] = "supplicantd",
};

const char *emu_daemon_name(enum emu_daemon d)
{
	return d < EMU_DAEMON_COUNT ? daemon_names[d] : "?";
}

int emu_daemon_from_name(const char *name, enum emu_daemon *ret)
{
	for (int d = 0; d < EMU_DAEMON_COUNT; d++)
		if (g_strcmp0(name, daemon_names[d]) == 0) {
			*ret = (enum emu_daemon)d;
			return 0;
		}
	return -EINVAL;
}

char *emu_self_dir(void)
{
	g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
	return exe ? g_path_get_dirname(exe) : g_get_current_dir();
}

static char *file_for(const struct emu_state *st, enum emu_daemon d, const char *suffix)
{
	g_autofree char *base = g_strconcat(emu_daemon_name(d), suffix, NULL);
	return emu_state_path(st, base);
}

/* Alive, not a zombie, and running the program we think (pid reuse). */
static bool process_is(pid_t pid, const char *name)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *stat = NULL;

	if (pid <= 0 || !g_file_get_contents(path, &stat, NULL, NULL))
		return false;
	/* "pid (comm) S ..." -- comm may hold spaces or parentheses: take the last ')'. */
	char *open = strchr(stat, '('), *close = strrchr(stat, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return false;
	char state = close[2];
	if (state == 'Z' || state == 'X' || state == 'x')
		return false;
	*close = '\0';
	return strcmp(open + 1, name) == 0;
}

/* Alive and not a zombie, whatever it runs (a child between fork and exec). */
static bool process_alive(pid_t pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *stat = NULL;

	if (pid <= 0 || !g_file_get_contents(path, &stat, NULL, NULL))
		return false;
	char *close = strrchr(stat, ')');
	return close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X' && close[2] != 'x';
}

pid_t emu_stack_pid(const struct emu_state *st, enum emu_daemon d)
{
	g_autofree char *path = file_for(st, d, ".pid");
	g_autofree char *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		return 0;
	gint64 pid = g_ascii_strtoll(text, NULL, 10);
	if (pid <= 0 || pid > INT32_MAX)
		return 0;
	return process_is((pid_t)pid, emu_daemon_name(d)) ? (pid_t)pid : 0;
}

int emu_stack_lock(const struct emu_state *st, int *ret_fd)
{
	if (g_mkdir_with_parents(st->dir, 0700) < 0)
		return -errno;
	g_autofree char *path = emu_state_path(st, "lock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	*ret_fd = fd;
	return 0;
}

bool emu_socket_listening(const char *path)
{
	int fd;

	if (emu_ipc_connect(path, &fd) < 0)
		return false;
	close(fd);
	return true;
}

int emu_stack_ctrl_status(const struct emu_state *st, int timeout_ms, struct emu_ctrl_status *ret)
{
	int fd, r = emu_ipc_connect(st->tee_sock, &fd);
	uint32_t id = 1;
	g_autoptr(emu_msg) reply = NULL;

	if (r < 0)
		return r;
	r = emu_teec_call(fd, &id, timeout_ms, EMU_MSG_CTRL_STATUS_REQ, NULL, 0, -1,
			  EMU_MSG_CTRL_STATUS_RSP, &reply, NULL);
	close(fd);
	if (r == -EPROTO || r == -ENOSYS || r == -EOPNOTSUPP || r == -EBADMSG)
		return -EOPNOTSUPP;
	if (r < 0)
		return r;
	if (reply->hdr.length < sizeof(*ret))
		return -EPROTO;
	memcpy(ret, reply->payload, sizeof(*ret));
	return 0;
}

char *emu_stack_log_tail(const struct emu_state *st, enum emu_daemon d, int lines)
{
	g_autofree char *path = file_for(st, d, ".log");
	g_autofree char *text = NULL;
	gsize len = 0;

	if (!g_file_get_contents(path, &text, &len, NULL) || len == 0)
		return g_strdup("");
	/* Count back `lines` newlines from the end (ignoring a final one). */
	gsize i = len;
	if (text[i - 1] == '\n')
		i--;
	int seen = 0;
	while (i > 0) {
		if (text[i - 1] == '\n' && ++seen == lines)
			break;
		i--;
	}
	return g_strdup(text + i);
}

static void write_pid_file(const struct emu_state *st, enum emu_daemon d, pid_t pid)
{
	g_autofree char *path = file_for(st, d, ".pid");
	g_autofree char *text = g_strdup_printf("%d\n", (int)pid);
	(void)g_file_set_contents(path, text, -1, NULL);
}

static void remove_pid_file(const struct emu_state *st, enum emu_daemon d)
{
	g_autofree char *path = file_for(st, d, ".pid");
	(void)unlink(path);
}

/* The daemon's command line. */
static GPtrArray *daemon_argv(const struct emu_state *st, enum emu_daemon d,
			      const struct emu_up_options *opt)
{
	GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
	struct emu_config cfg = { 0 };

	if (emu_config_load(st, &cfg, NULL) < 0)
		memset(&cfg, 0, sizeof(cfg)); /* emu_stack_up reported it already */
	const struct { const char *opt; uint32_t v; } sizes[] = {
		{ "--var-store-size", cfg.var_store_size },
		{ "--ftw-working-size", cfg.ftw_working_size },
		{ "--ftw-spare-size", cfg.ftw_spare_size },
	};
	g_ptr_array_add(a, g_build_filename(opt->bin_dir, emu_daemon_name(d), NULL));
	switch (d) {
	case EMU_DAEMON_RPMBD:
		if (cfg.rpmb_size_mult) {
			g_ptr_array_add(a, g_strdup("--size-mult"));
			g_ptr_array_add(a, g_strdup_printf("%u", cfg.rpmb_size_mult));
		}
		g_ptr_array_add(a, g_strdup("--db"));
		g_ptr_array_add(a, g_strdup(st->rpmb_db));
		g_ptr_array_add(a, g_strdup("--socket"));
		g_ptr_array_add(a, g_strdup(st->mmc_sock));
		for (char *const *x = opt->rpmbd_args; x && *x; x++)
			g_ptr_array_add(a, g_strdup(*x));
		break;
	case EMU_DAEMON_STMMD:
		g_ptr_array_add(a, g_strdup("--state"));
		g_ptr_array_add(a, g_strdup(st->dir));
		g_ptr_array_add(a, g_strdup("--socket"));
		g_ptr_array_add(a, g_strdup(st->tee_sock));
		if (opt->rpc_timeout_ms > 0) {
			g_ptr_array_add(a, g_strdup("--rpc-timeout"));
			g_ptr_array_add(a, g_strdup_printf("%d", opt->rpc_timeout_ms));
		}
		if (opt->verbose)
			g_ptr_array_add(a, g_strdup("-v"));
		for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
			if (sizes[i].v) {
				g_ptr_array_add(a, g_strdup(sizes[i].opt));
				g_ptr_array_add(a, g_strdup_printf("%u", sizes[i].v));
			}
		if (opt->import_fv) {
			g_ptr_array_add(a, g_strdup("--import-fv"));
			g_ptr_array_add(a, g_strdup(opt->import_fv));
		}
		if (opt->quirks && *opt->quirks) {
			g_ptr_array_add(a, g_strdup("--quirk"));
			g_ptr_array_add(a, g_strdup(opt->quirks));
		}
		break;
	case EMU_DAEMON_SUPPLICANTD:
		g_ptr_array_add(a, g_strdup("--tee-socket"));
		g_ptr_array_add(a, g_strdup(st->tee_sock));
		g_ptr_array_add(a, g_strdup("--mmc-socket"));
		g_ptr_array_add(a, g_strdup(st->mmc_sock));
		break;
	default:
		break;
	}
	g_ptr_array_add(a, NULL);
	return a;
}

/*
 * Start one daemon detached: double fork so that it is nobody's child here (a daemon
 * that dies is reaped by init, never left as our zombie), its own session (a ^C in the
 * terminal that ran `up` does not reach it), stdin /dev/null, stdout+stderr appended to
 * its log.
 */
static int spawn_daemon(const struct emu_state *st, enum emu_daemon d,
			const struct emu_up_options *opt, pid_t *ret_pid, GString *err)
{
	g_autoptr(GPtrArray) argv = daemon_argv(st, d, opt);
	g_autofree char *log_path = file_for(st, d, ".log");
	const char *exe = argv->pdata[0];

	if (!g_file_test(exe, G_FILE_TEST_IS_EXECUTABLE)) {
		g_string_append_printf(err, "%s: %s not found or not executable (run make)",
				       emu_daemon_name(d), exe);
		return -ENOENT;
	}
	int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0) {
		int r = -errno;
		g_string_append_printf(err, "%s: %s: %s", emu_daemon_name(d), log_path,
				       g_strerror(-r));
		return r;
	}
	g_autofree char *cmdline = g_strjoinv(" ", (char **)argv->pdata);
	g_autoptr(GDateTime) now = g_date_time_new_now_local();
	g_autofree char *stamp = g_date_time_format(now, "%F %T");
	dprintf(log_fd, "--- %s: stmm-emu up: %s\n", stamp, cmdline);

	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		int r = -errno;
		close(log_fd);
		return r;
	}
	pid_t mid = fork();
	if (mid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		close(log_fd);
		return r;
	}
	if (mid == 0) {
		close(p[0]);
		if (setsid() < 0)
			_exit(126);
		pid_t child = fork();
		if (child < 0)
			_exit(126);
		if (child > 0) {
			ssize_t w = write(p[1], &child, sizeof(child));
			_exit(w == sizeof(child) ? 0 : 126);
		}
		/* The daemon. */
		int null_fd = open("/dev/null", O_RDONLY);
		if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
		    dup2(log_fd, 2) < 0)
			_exit(126);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execv(exe, (char **)argv->pdata);
		dprintf(2, "stmm-emu: exec %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	close(log_fd);
	pid_t child = 0;
	ssize_t n;
	do
		n = read(p[0], &child, sizeof(child));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	int status;
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(child) || child <= 0) {
		g_string_append_printf(err, "%s: could not be started", emu_daemon_name(d));
		return -ECHILD;
	}
	write_pid_file(st, d, child);
	*ret_pid = child;
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void append_died(const struct emu_state *st, enum emu_daemon d, const char *what,
			GString *err)
{
	g_autofree char *tail = emu_stack_log_tail(st, d, 15);
	g_autofree char *log = file_for(st, d, ".log");
	g_string_append_printf(err, "%s %s; last lines of %s:\n%s", emu_daemon_name(d), what, log,
			       tail);
}

/* Wait until `path` accepts connections while the daemon lives. */
static int wait_socket(const struct emu_state *st, enum emu_daemon d, pid_t pid, const char *path,
		       gint64 deadline, GString *err)
{
	for (;;) {
		if (emu_socket_listening(path))
			return 0;
		if (!process_alive(pid)) {
			append_died(st, d, "exited during start-up", err);
			return -ECHILD;
		}
		if (g_get_monotonic_time() > deadline) {
			g_autofree char *what = g_strdup_printf("did not listen on %s in time", path);
			append_died(st, d, what, err);
			return -ETIMEDOUT;
		}
		sleep_ms(20);
	}
}

static int remaining_ms(gint64 deadline)
{
	gint64 left = (deadline - g_get_monotonic_time()) / 1000;
	return left < 1 ? 1 : (int)left;
}

/* A real GET_PAYLOAD_SIZE through the whole chain. */
static int round_trip(const struct emu_state *st, const pid_t *pids, gint64 deadline,
		      uint64_t *ret_max, GString *last_error)
{
	for (;;) {
		g_autoptr(emu_client) c = NULL;
		int r = emu_client_open(st->tee_sock, remaining_ms(deadline), &c);
		if (r >= 0) {
			efi_status_t s = emu_client_get_payload_size(c, ret_max);
			if (s == EFI_SUCCESS)
				return 0;
			char sbuf[64];
			g_string_assign(last_error, efi_status_str(s, sbuf, sizeof(sbuf)));
			if (*emu_client_last_error(c))
				g_string_append_printf(last_error, " (%s)", emu_client_last_error(c));
		} else {
			g_string_assign(last_error, g_strerror(-r));
		}
		for (int d = 0; d < EMU_DAEMON_COUNT; d++)
			if (!process_alive(pids[d]))
				return -ECHILD; /* the caller names the dead one */
		if (g_get_monotonic_time() > deadline)
			return -ETIMEDOUT;
		sleep_ms(50);
	}
}

int emu_stack_up(const struct emu_state *st, const struct emu_up_options *opt,
		 struct emu_up_result *ret, GString *err)
{
	struct emu_up_result res = { 0 };
	gint64 deadline = g_get_monotonic_time() + (gint64)opt->wait_ms * 1000;
	int r;

	struct emu_config cfg;
	r = emu_config_load(st, &cfg, err);
	if (r < 0)
		return r;
	for (int i = 0; i < EMU_DAEMON_COUNT; i++)
		res.pid[i] = emu_stack_pid(st, (enum emu_daemon)i);

	/* The supplicant holds connections to both others: restart it with either. */
	bool restart_supp = !res.pid[EMU_DAEMON_RPMBD] || !res.pid[EMU_DAEMON_STMMD];
	if (restart_supp && res.pid[EMU_DAEMON_SUPPLICANTD]) {
		emu_stack_stop(st, EMU_DAEMON_SUPPLICANTD, 3000);
		res.pid[EMU_DAEMON_SUPPLICANTD] = 0;
	}
	for (int i = 0; i < EMU_DAEMON_COUNT; i++) {
		enum emu_daemon d = (enum emu_daemon)i;
		if (res.pid[d])
			continue;
		remove_pid_file(st, d);
		r = spawn_daemon(st, d, opt, &res.pid[d], err);
		if (r < 0)
			return r;
		res.started[d] = true;
		if (d == EMU_DAEMON_RPMBD)
			r = wait_socket(st, d, res.pid[d], st->mmc_sock, deadline, err);
		else if (d == EMU_DAEMON_STMMD)
			r = wait_socket(st, d, res.pid[d], st->tee_sock, deadline, err);
		if (r < 0)
			return r;
	}
	res.already_up = !res.started[0] && !res.started[1] && !res.started[2];

	/* The supplicant registers with stmmd: watch for it where stmmd tells. */
	if (res.started[EMU_DAEMON_SUPPLICANTD]) {
		for (;;) {
			struct emu_ctrl_status cs;
			r = emu_stack_ctrl_status(st, remaining_ms(deadline), &cs);
			if (r < 0 || (cs.flags & EMU_CTRL_STATUS_SUPPLICANT))
				break; /* no status service: the round trip decides */
			if (!process_alive(res.pid[EMU_DAEMON_SUPPLICANTD])) {
				append_died(st, EMU_DAEMON_SUPPLICANTD, "exited during start-up", err);
				return -ECHILD;
			}
			if (g_get_monotonic_time() > deadline) {
				append_died(st, EMU_DAEMON_SUPPLICANTD,
					    "did not register with stmmd in time", err);
				return -ETIMEDOUT;
			}
			sleep_ms(20);
		}
	}

	g_autoptr(GString) last = g_string_new("");
	r = round_trip(st, res.pid, deadline, &res.max_payload, last);
	if (r < 0) {
		enum emu_daemon blame = EMU_DAEMON_STMMD;
		bool dead = false;
		for (int i = 0; i < EMU_DAEMON_COUNT; i++)
			if (!process_alive(res.pid[i])) {
				blame = (enum emu_daemon)i;
				dead = true;
				break;
			}
		g_autofree char *what =
			dead ? g_strdup_printf("exited before the first round trip (last try: %s)",
					       last->str)
			     : g_strdup_printf("did not answer GET_PAYLOAD_SIZE in %d ms (last try: %s)",
					       opt->wait_ms, last->str);
		append_died(st, blame, what, err);
		return r;
	}
	*ret = res;
	return 0;
}

int emu_stack_stop(const struct emu_state *st, enum emu_daemon d, int timeout_ms)
{
	pid_t pid = emu_stack_pid(st, d);

	if (!pid) {
		remove_pid_file(st, d);
		return 0;
	}
	(void)kill(pid, SIGTERM);
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
	while (process_is(pid, emu_daemon_name(d)) && g_get_monotonic_time() < deadline)
		sleep_ms(10);
	if (process_is(pid, emu_daemon_name(d))) {
		(void)kill(pid, SIGKILL);
		deadline = g_get_monotonic_time() + 2000 * 1000;
		while (process_is(pid, emu_daemon_name(d)) && g_get_monotonic_time() < deadline)
			sleep_ms(10);
	}
	remove_pid_file(st, d);
	return 1;
}
