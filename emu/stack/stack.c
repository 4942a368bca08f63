/* SPDX-License-Identifier: MIT */
#include "stack.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "client.h"
#include "proc.h"
#include "config.h"
#include "efi_util.h"
#include "emu_trace.h"
#include "ipc.h"
#include "ready.h"
#include "tee_client.h"

/* The descriptor number a daemon gets for --ready-fd. */
#define READY_FD 3

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

char *emu_daemon_dir(void)
{
	g_autofree char *self = emu_self_dir();
	g_autofree char *beside = g_build_filename(self, "stmmd", NULL);
	if (g_file_test(beside, G_FILE_TEST_IS_EXECUTABLE))
		return g_steal_pointer(&self);
	/* `make install`: PREFIX/bin/stmm-emu, PREFIX/libexec/stmm-emu/<daemon>. */
	g_autofree char *up = g_path_get_dirname(self);
	char *libexec = g_build_filename(up, "libexec", "stmm-emu", NULL);
	g_autofree char *there = g_build_filename(libexec, "stmmd", NULL);
	if (g_file_test(there, G_FILE_TEST_IS_EXECUTABLE))
		return libexec;
	g_free(libexec);
	return g_steal_pointer(&self);
}

static char *file_for(const struct emu_state *st, enum emu_daemon d, const char *suffix)
{
	g_autofree char *base = g_strconcat(emu_daemon_name(d), suffix, NULL);
	return emu_state_path(st, base);
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
	return emu_proc_is((pid_t)pid, emu_daemon_name(d)) ? (pid_t)pid : 0;
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

/* Record the pid; a failure (full disk, no permission) goes to `err`.  0 or -EIO. */
static int write_pid_file(const struct emu_state *st, enum emu_daemon d, pid_t pid, GString *err)
{
	g_autofree char *path = file_for(st, d, ".pid");
	g_autofree char *text = g_strdup_printf("%d\n", (int)pid);
	g_autoptr(GError) error = NULL;

	if (!g_file_set_contents(path, text, -1, &error)) {
		g_string_append_printf(err, "%s: cannot record its pid: %s", emu_daemon_name(d),
				       error->message);
		return -EIO;
	}
	return 0;
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
	g_ptr_array_add(a, g_strdup("--ready-fd"));
	g_ptr_array_add(a, g_strdup_printf("%d", READY_FD));
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
		if (cfg.trace) {
			g_ptr_array_add(a, g_strdup("--trace"));
			g_ptr_array_add(a, emu_state_path(st, EMU_TRACE_FILE_NAME));
		}
		if (cfg.durability[0]) {
			g_ptr_array_add(a, g_strdup("--durability"));
			g_ptr_array_add(a, g_strdup(cfg.durability));
		}
		for (char *const *x = opt->rpmbd_args; x && *x; x++)
			g_ptr_array_add(a, g_strdup(*x));
		break;
	case EMU_DAEMON_STMMD:
		g_ptr_array_add(a, g_strdup("--state"));
		g_ptr_array_add(a, g_strdup(st->dir));
		g_ptr_array_add(a, g_strdup("--socket"));
		g_ptr_array_add(a, g_strdup(st->tee_sock));
		if (cfg.rpmb_layout[0]) {
			g_ptr_array_add(a, g_strdup("--rpmb-layout"));
			g_ptr_array_add(a, g_strdup(cfg.rpmb_layout));
		}
		if (opt->rpc_timeout_ms > 0) {
			g_ptr_array_add(a, g_strdup("--rpc-timeout"));
			g_ptr_array_add(a, g_strdup_printf("%d", opt->rpc_timeout_ms));
		}
		if (opt->verbose)
			g_ptr_array_add(a, g_strdup("-v"));
		if (cfg.trace) {
			g_ptr_array_add(a, g_strdup("--trace"));
			g_ptr_array_add(a, emu_state_path(st, EMU_TRACE_FILE_NAME));
		}
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
		if (cfg.profile[0]) {
			g_ptr_array_add(a, g_strdup("--profile"));
			g_ptr_array_add(a, g_strdup(cfg.profile));
		}
		if (cfg.rpmb_route[0]) {
			g_ptr_array_add(a, g_strdup("--rpmb-route"));
			g_ptr_array_add(a, g_strdup(cfg.rpmb_route));
		}
		/* A board whose OP-TEE probes the kernel route is built with CFG_RPMB_WRITE_KEY=n
		 * (key writing forces the legacy route): its key was provisioned before.  So were
		 * the U-Boot boards of the NOT_IMPLEMENTED field bug (their OP-TEE probed). */
		if (!strcmp(cfg.normal_world, "kernel") || !strcmp(cfg.normal_world, "uboot-2025.01"))
			g_ptr_array_add(a, g_strdup("--no-write-key"));
		for (char *const *x = opt->stmmd_args; x && *x; x++)
			g_ptr_array_add(a, g_strdup(*x));
		break;
	case EMU_DAEMON_SUPPLICANTD:
		g_ptr_array_add(a, g_strdup("--tee-socket"));
		g_ptr_array_add(a, g_strdup(st->tee_sock));
		g_ptr_array_add(a, g_strdup("--mmc-socket"));
		g_ptr_array_add(a, g_strdup(st->mmc_sock));
		g_ptr_array_add(a, g_strdup("--control-socket")); /* run-time faults */
		g_ptr_array_add(a, emu_state_path(st, EMU_STATE_SUPP_SOCK));
		for (char *const *x = opt->supplicantd_args; x && *x; x++)
			g_ptr_array_add(a, g_strdup(*x));
		if (cfg.normal_world[0]) {
			g_ptr_array_add(a, g_strdup("--route"));
			g_ptr_array_add(a, g_strdup(cfg.normal_world));
		}
		break;
	default:
		break;
	}
	g_ptr_array_add(a, NULL);
	return a;
}

/*
 * Start one daemon detached with posix_spawn (a vfork-style clone, no copy of this
 * process's page tables, no wait for an intermediate child): its own session (a ^C in
 * the terminal that ran `up` does not reach it), default signal handling and an empty
 * signal mask, stdin /dev/null, stdout+stderr appended to its log, the write end of a
 * readiness pipe as descriptor READY_FD and nothing else of ours.  The read end of the
 * pipe goes to *ret_ready_fd.
 */
static int spawn_daemon(const struct emu_state *st, enum emu_daemon d,
			const struct emu_up_options *opt, pid_t *ret_pid, int *ret_ready_fd,
			GString *err)
{
	g_autoptr(GPtrArray) argv = daemon_argv(st, d, opt);
	g_autofree char *log_path = file_for(st, d, ".log");
	const char *exe = argv->pdata[0];

	if (!g_file_test(exe, G_FILE_TEST_IS_EXECUTABLE)) {
		g_string_append_printf(err, "%s: %s not found or not executable (run make)",
				       emu_daemon_name(d), exe);
		return -ENOENT;
	}
	/* Both above READY_FD, so that every dup2 below really copies (and drops CLOEXEC). */
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

	int ready[2];
	if (pipe2(ready, O_CLOEXEC) < 0) {
		int r = -errno;
		g_string_append_printf(err, "%s: readiness pipe: %s", emu_daemon_name(d),
				       g_strerror(-r));
		close(log_fd);
		return r;
	}
	int ready_w = ready[1] > READY_FD ? ready[1] : fcntl(ready[1], F_DUPFD_CLOEXEC, READY_FD + 1);

	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGQUIT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGCHLD);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, log_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, log_fd, STDERR_FILENO);
	posix_spawn_file_actions_adddup2(&fa, ready_w, READY_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, READY_FD + 1);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setsigmask(&attr, &none);
	pid_t pid = 0;
	int e = ready_w < 0 ? errno
			    : posix_spawn(&pid, exe, &fa, &attr, (char *const *)argv->pdata, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (ready_w >= 0 && ready_w != ready[1])
		close(ready_w);
	close(ready[1]);
	close(log_fd);
	if (e != 0) {
		close(ready[0]);
		g_string_append_printf(err, "%s: could not be started: %s: %s", emu_daemon_name(d),
				       exe, g_strerror(e));
		return -ECHILD;
	}
	*ret_pid = pid;
	*ret_ready_fd = ready[0];
	return 0;
}

static void append_died(const struct emu_state *st, enum emu_daemon d, const char *what,
			GString *err)
{
	g_autofree char *tail = emu_stack_log_tail(st, d, 15);
	g_autofree char *log = file_for(st, d, ".log");
	g_string_append_printf(err, "%s %s; last lines of %s:\n%s", emu_daemon_name(d), what, log,
			       tail);
}

/* Block on the daemon's readiness pipe (closes it) until it reports, exits or the deadline. */
static int wait_ready(const struct emu_state *st, enum emu_daemon d, int ready_fd,
		      gint64 deadline, GString *err)
{
	int r = emu_ready_wait(ready_fd, deadline);

	close(ready_fd);
	if (r == -ETIMEDOUT)
		append_died(st, d, "did not report ready in time", err);
	else if (r < 0)
		append_died(st, d, "exited during start-up", err);
	return r == -EPROTO ? -ECHILD : r;
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
			if (!emu_proc_running(pids[d]))
				return -ECHILD; /* the caller names the dead one */
		if (g_get_monotonic_time() > deadline)
			return -ETIMEDOUT;
		/* Every daemon reported ready, so this is a retry after a failed answer. */
		g_usleep(50 * 1000);
	}
}

/* SIGTERM, up to timeout_ms for the exit, then SIGKILL and up to 2 s more.  1 if it ran. */
static int stop_process(pid_t pid, const char *name, int timeout_ms)
{
	int fd = emu_proc_open(pid, name);

	if (fd < 0)
		return 0;
	(void)pidfd_send_signal(fd, SIGTERM, NULL, 0);
	if (!emu_proc_exited_within(fd, timeout_ms)) {
		(void)pidfd_send_signal(fd, SIGKILL, NULL, 0);
		(void)emu_proc_exited_within(fd, 2000);
	}
	close(fd);
	emu_proc_reap_if_child(pid);
	return 1;
}

/* Undo a failed `up` that could not record a pid: stop what it started, newest first. */
static void stop_started(const struct emu_state *st, const struct emu_up_result *res)
{
	for (int d = EMU_DAEMON_COUNT - 1; d >= 0; d--)
		if (res->started[d]) {
			(void)stop_process(res->pid[d], emu_daemon_name((enum emu_daemon)d), 3000);
			remove_pid_file(st, (enum emu_daemon)d);
		}
}

/*
 * The layout is the state's for life: recorded at its first `up` -- the one asked for
 * (default optee-fs), or raw for a state whose device predates the RPMB FS layout -- and
 * refused when another is asked for later.
 */
static int record_rpmb_layout(const struct emu_state *st, struct emu_config *cfg,
			      const char *wanted, GString *err)
{
	if (wanted && !emu_rpmb_layout_valid(wanted)) {
		g_string_append_printf(err, "--rpmb-layout %s: not optee-fs or raw", wanted);
		return -EINVAL;
	}
	if (cfg->rpmb_layout[0]) {
		if (wanted && strcmp(wanted, cfg->rpmb_layout)) {
			g_string_append_printf(err, "state %s keeps its store in the %s layout; a layout "
					       "is chosen when a state is made (not %s)", st->dir,
					       cfg->rpmb_layout, wanted);
			return -EINVAL;
		}
		return 0;
	}
	bool old_device = g_file_test(st->rpmb_db, G_FILE_TEST_EXISTS);
	g_strlcpy(cfg->rpmb_layout, wanted ? wanted : old_device ? "raw" : EMU_RPMB_LAYOUT_DEFAULT,
		  sizeof(cfg->rpmb_layout));
	g_autofree char *path = emu_state_path(st, EMU_CONFIG_FILE);
	return emu_config_save(path, path, cfg, err);
}

/* --rpmb-route / --normal-world: kept in stmm-emu.conf until given again (README "The kernel RPMB route"). */
static int record_route(const struct emu_state *st, struct emu_config *cfg,
			const struct emu_up_options *opt, GString *err)
{
	if (!opt->rpmb_route && !opt->normal_world && !opt->profile)
		return 0;
	if (opt->profile && !emu_profile_valid(opt->profile)) {
		g_string_append_printf(err, "--profile %s: not optee-stmm or strict", opt->profile);
		return -EINVAL;
	}
	if (opt->profile)
		g_strlcpy(cfg->profile, opt->profile, sizeof(cfg->profile));
	if (opt->rpmb_route && !emu_rpmb_route_valid(opt->rpmb_route)) {
		g_string_append_printf(err, "--rpmb-route %s: not probe or legacy", opt->rpmb_route);
		return -EINVAL;
	}
	if (opt->normal_world && !emu_normal_world_valid(opt->normal_world)) {
		g_string_append_printf(err, "--normal-world %s: not supplicant, kernel or uboot-2025.01",
				       opt->normal_world);
		return -EINVAL;
	}
	if (opt->rpmb_route)
		g_strlcpy(cfg->rpmb_route, opt->rpmb_route, sizeof(cfg->rpmb_route));
	if (opt->normal_world)
		g_strlcpy(cfg->normal_world, opt->normal_world, sizeof(cfg->normal_world));
	g_autofree char *path = emu_state_path(st, EMU_CONFIG_FILE);
	return emu_config_save(path, path, cfg, err);
}

int emu_stack_up(const struct emu_state *st, const struct emu_up_options *opt,
		 struct emu_up_result *ret, GString *err)
{
	struct emu_up_result res = { 0 };
	gint64 deadline = g_get_monotonic_time() + (gint64)opt->wait_ms * 1000;
	int r;

	struct emu_config cfg;
	r = emu_config_load(st, &cfg, err);
	if (r == 0)
		r = record_rpmb_layout(st, &cfg, opt->rpmb_layout, err);
	if (r == 0)
		r = record_route(st, &cfg, opt, err);
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
	/*
	 * Two waves: rpmbd and stmmd depend on nobody, so both start at once and are waited
	 * for together; then the supplicant, which connects to both (ready = registered).
	 */
	static const enum emu_daemon waves[][2] = {
		{ EMU_DAEMON_RPMBD, EMU_DAEMON_STMMD },
		{ EMU_DAEMON_SUPPLICANTD, EMU_DAEMON_COUNT },
	};
	for (size_t w = 0; w < G_N_ELEMENTS(waves); w++) {
		int ready_fd[2] = { -1, -1 };
		for (int k = 0; k < 2 && r >= 0; k++) {
			enum emu_daemon d = waves[w][k];
			if (d == EMU_DAEMON_COUNT || res.pid[d] ||
			    (d == EMU_DAEMON_SUPPLICANTD && opt->without_supplicant))
				continue;
			remove_pid_file(st, d);
			r = spawn_daemon(st, d, opt, &res.pid[d], &ready_fd[k], err);
			if (r < 0)
				break;
			res.started[d] = true;
			r = write_pid_file(st, d, res.pid[d], err);
			if (r < 0)
				g_string_append(err, "; stopped what this `up` had started");
		}
		/*
		 * Wait for each one started, even after a failure: a daemon stopped before it is
		 * ready could be cut off half-way through creating its state (rpmb.db).
		 */
		for (int k = 0; k < 2; k++) {
			if (ready_fd[k] < 0)
				continue;
			if (r < 0) {
				int wr = emu_ready_wait(ready_fd[k], deadline);
				(void)wr; /* the failure already reported is the one that counts */
				close(ready_fd[k]);
				continue;
			}
			r = wait_ready(st, waves[w][k], ready_fd[k], deadline, err);
			if (r < 0)
				g_string_append(err, "; stopped what this `up` had started");
		}
		if (r < 0) {
			stop_started(st, &res); /* nothing of a failed `up` stays running */
			return r;
		}
	}
	res.already_up = !res.started[0] && !res.started[1] && !res.started[2];
	g_autoptr(GString) last = g_string_new("");
	/* Without a supplicant StMM cannot read its store before one registers: no round trip. */
	r = opt->no_round_trip || opt->without_supplicant
		    ? 0 : round_trip(st, res.pid, deadline, &res.max_payload, last);
	if (r < 0) {
		enum emu_daemon blame = EMU_DAEMON_STMMD;
		bool dead = false;
		for (int i = 0; i < EMU_DAEMON_COUNT; i++)
			if (!emu_proc_running(res.pid[i])) {
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
	int was = stop_process(emu_stack_pid(st, d), emu_daemon_name(d), timeout_ms);

	remove_pid_file(st, d);
	return was;
}

int emu_stack_stop_pid(pid_t pid, enum emu_daemon d, int timeout_ms)
{
	return stop_process(pid, emu_daemon_name(d), timeout_ms);
}
