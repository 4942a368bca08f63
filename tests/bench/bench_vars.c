/* SPDX-License-Identifier: MIT */
/*
 * Request rates through the four processes (stmm-emu client -> stmmd -> supplicantd ->
 * rpmbd) next to the floor they cannot beat: one message round trip between two
 * processes over a SOCK_SEQPACKET socketpair.
 *
 *   GetVariable        a 32-byte NV variable, served from the secure world's memory
 *   SetVariable (NV)   32 bytes, different each time: RPMB writes through the supplicant
 *   SetVariable (AT)   a private time-based authenticated variable, 32 bytes: payloads
 *                      presigned by run.sh (RSA-2048, SHA-256, increasing timestamps,
 *                      --auth-dir), so each set is PKCS#7 verification + certdb check +
 *                      the RPMB writes
 *   raw IPC            fork(); parent sends, child echoes; same framing (lib/ipc.c) and a
 *                      message the size of the GetVariable request
 *
 * Each figure runs for --seconds (bounded by --max-ops).  Needs a running stack (run.sh
 * starts one in a temporary state directory).
 *
 * Beside latency, every figure has its CPU time per operation summed over every process
 * involved: this client (getrusage) and the three daemons (utime + stime of
 * /proc/PID/stat, pids from STATE/<prog>.pid), read before and after the figure; for raw
 * IPC, both ends (the echo child's rusage from wait4).  On a loaded 2-core VM latency swings
 * with how busy the CPUs are; CPU time does not.  SetVariable figures also give the RPMB
 * writes they made (stmmd's counter, EMU_MSG_CTRL_STATUS) and CPU per RPMB write.
 *
 * Other modes (run.sh): --set-only (one SetVariable figure: the stack on disk, or the
 * counted breakdown run), --auth-only (raw IPC + the authenticated figure, e.g. on a stack
 * with `up --rpmb-layout raw`; --label names the stack in the rows), --first-get (one
 * GetVariable, retried until the stack answers; with `-- CMD...` it runs CMD, `stmm-emu up`,
 * first and prints the ms from CMD's start to the answer: `up` to first GetVariable as a
 * client already running sees it, this bench's own process start not counted),
 * --fsync-dir (latency of one 4 KiB write + fdatasync there).  --json FILE writes the
 * figures as one JSON object.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The bench rule adds no program include dirs: reach emu/ by path. */
#include <json-glib/json-glib.h>

#include "client.h"
#include "efi_util.h"
#include "ipc.h"
#include "mm.h"
#include "stack.h"
#include "state.h"

struct figure {
	const char *what;
	uint64_t ops;
	double seconds;
	const char *note;
	double cpu_s;          /* CPU seconds, all processes (< 0: not measured) */
	uint64_t rpmb_writes;  /* authenticated RPMB writes made (SetVariable figures) */
};

/* The MM communicate round trips behind the GetVariable figure (the goal is per round trip
 * the Linux driver makes: GET_VARIABLE, then VAR_CHECK_VARIABLE_PROPERTY_GET). */
static const struct figure *mm_figure;
static uint64_t mm_figure_round_trips;

/* The stack whose daemons' CPU time is summed (NULL: only this process). */
static const struct emu_state *cpu_stack;

static double timeval_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* utime + stime of a process in seconds (clock ticks), 0 when it cannot be read. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut = 0, st = 0;

	g_snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* After "(comm)" come fields 3...; utime and stime are fields 14 and 15. */
	const char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return 0;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU seconds used so far by this process and the daemons of cpu_stack. */
static double cpu_now_s(void)
{
	struct rusage ru;
	double s = 0;

	if (getrusage(RUSAGE_SELF, &ru) == 0)
		s = timeval_s(&ru.ru_utime) + timeval_s(&ru.ru_stime);
	for (int d = 0; cpu_stack && d < EMU_DAEMON_COUNT; d++) {
		pid_t pid = emu_stack_pid(cpu_stack, (enum emu_daemon)d);
		if (pid > 0)
			s += proc_cpu_s(pid);
	}
	return s;
}

/* stmmd's count of authenticated RPMB writes (0 when it does not answer). */
static uint64_t rpmb_writes_now(void)
{
	struct emu_ctrl_status cs;

	if (!cpu_stack || emu_stack_ctrl_status(cpu_stack, 5000, &cs) < 0)
		return 0;
	return cs.rpmb_writes;
}

static double now_s(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static int bench_get(emu_client *c, const uint8_t *name, size_t name_size, double seconds,
		     uint64_t max_ops, struct figure *f)
{
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	uint8_t data[64];
	uint64_t mm0 = emu_client_mm_round_trips(c);
	double c0 = cpu_now_s(), t0 = now_s();
	uint64_t n = 0;

	while (n < max_ops && now_s() - t0 < seconds) {
		uint64_t size = sizeof(data);
		efi_status_t s = emu_client_get_variable(c, name, name_size, &g, NULL, &size, data);
		if (s != EFI_SUCCESS || size != 32) {
			char b[64];
			fprintf(stderr, "bench: GetVariable: %s %s\n", efi_status_str(s, b, sizeof(b)),
				emu_client_last_error(c));
			return -EIO;
		}
		n++;
	}
	double dt = now_s() - t0;
	*f = (struct figure){ "GetVariable (32 B)", n, dt, NULL, cpu_now_s() - c0, 0 };
	mm_figure = f;
	mm_figure_round_trips = emu_client_mm_round_trips(c) - mm0;
	return 0;
}

static int bench_set(emu_client *c, const uint8_t *name, size_t name_size, double seconds,
		     uint64_t max_ops, struct figure *f)
{
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	uint8_t data[32];
	uint64_t w0 = rpmb_writes_now();
	double c0 = cpu_now_s(), t0 = now_s();
	uint64_t n = 0;

	memset(data, 0x5a, sizeof(data));
	while (n < max_ops && now_s() - t0 < seconds) {
		memcpy(data, &n, sizeof(n)); /* a new value every time */
		efi_status_t s = emu_client_set_variable(
			c, name, name_size, &g,
			EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
				EFI_VARIABLE_RUNTIME_ACCESS,
			sizeof(data), data);
		if (s == EFI_OUT_OF_RESOURCES && n > 0) {
			/* Every write appends a record; without reclaim the store fills up. */
			double dt = now_s() - t0, cpu = cpu_now_s() - c0;
			*f = (struct figure){ "SetVariable NV (32 B)", n, dt,
					      "stopped early: store full (EFI_OUT_OF_RESOURCES)", cpu,
					      rpmb_writes_now() - w0 };
			return 0;
		}
		if (s != EFI_SUCCESS) {
			char b[64];
			fprintf(stderr, "bench: SetVariable: %s %s\n", efi_status_str(s, b, sizeof(b)),
				emu_client_last_error(c));
			return -EIO;
		}
		n++;
	}
	double dt = now_s() - t0, cpu = cpu_now_s() - c0;
	*f = (struct figure){ "SetVariable NV (32 B)", n, dt, NULL, cpu, rpmb_writes_now() - w0 };
	return 0;
}

static int cmp_names(gconstpointer a, gconstpointer b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.auth in `dir`, in name order. */
static GPtrArray *load_auth_payloads(const char *dir)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
	const char *n;

	while (d && (n = g_dir_read_name(d)))
		if (g_str_has_suffix(n, ".auth"))
			g_ptr_array_add(names, g_build_filename(dir, n, NULL));
	g_ptr_array_sort(names, cmp_names);
	for (guint i = 0; i < names->len; i++) {
		char *data;
		gsize len;
		if (g_file_get_contents(names->pdata[i], &data, &len, NULL))
			g_ptr_array_add(out, g_bytes_new_take(data, len));
	}
	return out;
}

/* "SetVariable AT (32 B)", or with --label: "SetVariable AT (<label>)". */
static const char *auth_label;

static const char *auth_what(void)
{
	static char what[64];

	if (!auth_label)
		return "SetVariable AT (32 B)";
	snprintf(what, sizeof(what), "SetVariable AT (%s)", auth_label);
	return what;
}

static int bench_auth_set(emu_client *c, GPtrArray *payloads, const efi_guid_t *g,
			  double seconds, uint64_t max_ops, struct figure *f)
{
	const uint32_t attrs = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			       EFI_VARIABLE_RUNTIME_ACCESS |
			       EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	uint64_t w0 = rpmb_writes_now();
	double c0 = cpu_now_s(), t0 = now_s();
	uint64_t n = 0;

	if (ucs2_from_utf8("BenchAuthVar", &name, &name_size) < 0)
		return -EINVAL;
	while (n < max_ops && n < payloads->len && now_s() - t0 < seconds) {
		gsize size;
		const uint8_t *data = g_bytes_get_data(payloads->pdata[n], &size);
		efi_status_t s = emu_client_set_variable(c, name, name_size, g, attrs, size, data);
		if (s == EFI_OUT_OF_RESOURCES && n > 0) {
			double dt = now_s() - t0, cpu = cpu_now_s() - c0;
			*f = (struct figure){ auth_what(), n, dt,
					      "stopped early: store full (EFI_OUT_OF_RESOURCES)", cpu,
					      rpmb_writes_now() - w0 };
			return 0;
		}
		if (s != EFI_SUCCESS) {
			char b[64];
			fprintf(stderr, "bench: authenticated SetVariable #%" PRIu64 ": %s %s\n", n,
				efi_status_str(s, b, sizeof(b)), emu_client_last_error(c));
			return -EIO;
		}
		n++;
	}
	double dt = now_s() - t0, cpu = cpu_now_s() - c0;
	*f = (struct figure){ auth_what(), n, dt,
			      n == payloads->len ? "all presigned payloads used" : NULL, cpu,
			      rpmb_writes_now() - w0 };
	return 0;
}

static int bench_ipc(size_t msg_size, double seconds, uint64_t max_ops, struct figure *f)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* The echo side: nothing allocated yet, nothing to free before _exit. */
		close(sv[0]);
		for (;;) {
			struct emu_msg *m = NULL;
			if (emu_ipc_recv(sv[1], -1, &m) < 0)
				_exit(0);
			int r = emu_ipc_send(sv[1], m->hdr.type, m->hdr.req_id, m->payload, m->hdr.length);
			emu_msg_free(m);
			if (r < 0)
				_exit(1);
		}
	}
	close(sv[1]);
	uint8_t *payload = g_malloc0(msg_size);
	struct rusage self0, self1, child;
	getrusage(RUSAGE_SELF, &self0);
	double t0 = now_s();
	uint64_t n = 0;
	int r = 0;
	while (n < max_ops && now_s() - t0 < seconds) {
		struct emu_msg *m = NULL;
		r = emu_ipc_send(sv[0], EMU_MSG_TEE_INVOKE_REQ, (uint32_t)n, payload, msg_size);
		if (r >= 0)
			r = emu_ipc_recv(sv[0], 5000, &m);
		emu_msg_free(m);
		if (r < 0)
			break;
		n++;
	}
	double dt = now_s() - t0;
	getrusage(RUSAGE_SELF, &self1);
	g_free(payload);
	close(sv[0]);
	/* The child's CPU includes its start (cheap: no exec) and its exit. */
	if (wait4(pid, NULL, 0, &child) < 0)
		memset(&child, 0, sizeof(child));
	if (r < 0)
		return r;
	double cpu = timeval_s(&self1.ru_utime) + timeval_s(&self1.ru_stime) -
		     timeval_s(&self0.ru_utime) - timeval_s(&self0.ru_stime) +
		     timeval_s(&child.ru_utime) + timeval_s(&child.ru_stime);
	*f = (struct figure){ "raw IPC round trip", n, dt, NULL, cpu, 0 };
	return 0;
}

/* Latency of one 4 KiB pwrite + fdatasync of a file in `dir` (what one durable commit costs). */
static int bench_fsync(const char *dir, uint64_t n_max, struct figure *f)
{
	g_autofree char *path = g_build_filename(dir, "bench-fsync.XXXXXX", NULL);
	uint8_t block[4096];
	int fd = g_mkstemp(path);

	if (fd < 0)
		return -errno;
	unlink(path);
	memset(block, 0xa5, sizeof(block));
	double t0 = now_s();
	uint64_t n = 0;
	int r = 0;
	for (; n < n_max && now_s() - t0 < 1.0; n++) {
		block[0] = (uint8_t)n;
		if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) || fdatasync(fd) < 0) {
			r = -errno;
			break;
		}
	}
	double dt = now_s() - t0;
	close(fd);
	if (r < 0)
		return r;
	*f = (struct figure){ "one fsync (4 KiB)", n, dt, NULL, -1, 0 };
	return 0;
}

static double us_per_op(const struct figure *f)
{
	return f->ops ? f->seconds * 1e6 / (double)f->ops : 0;
}

static double cpu_us_per_op(const struct figure *f)
{
	return f->ops && f->cpu_s >= 0 ? f->cpu_s * 1e6 / (double)f->ops : 0;
}

static void print_row(const struct figure *f, const struct figure *base)
{
	double us = us_per_op(f), cpu = cpu_us_per_op(f);
	double bus = us_per_op(base), bcpu = cpu_us_per_op(base);

	printf("%-27s %8" PRIu64 " %10.1f", f->what, f->ops, us);
	if (bus > 0)
		printf(" %8.1fx", us / bus);
	else
		printf(" %9s", "-");
	printf(" %10.1f", cpu);
	if (bcpu > 0)
		printf(" %8.1fx", cpu / bcpu);
	else
		printf(" %9s", "-");
	if (f->rpmb_writes && f->ops) {
		double wpo = (double)f->rpmb_writes / (double)f->ops;
		printf("  %.2f RPMB writes/op", wpo);
		if (bcpu > 0)
			printf(", CPU %.1fx raw per write", cpu / wpo / bcpu);
	}
	if (f == mm_figure && mm_figure_round_trips && f->ops) {
		double mpo = (double)mm_figure_round_trips / (double)f->ops;
		printf("  %.2f MM round trips/op", mpo);
		if (bcpu > 0)
			printf(", CPU %.1fx raw per round trip", cpu / mpo / bcpu);
	}
	if (f->note)
		printf("  (%s)", f->note);
	printf("\n");
}

static void json_figure(JsonBuilder *b, const char *key, const struct figure *f,
			const struct figure *base)
{
	double us = us_per_op(f), cpu = cpu_us_per_op(f);
	double bus = base ? us_per_op(base) : 0, bcpu = base ? cpu_us_per_op(base) : 0;

	if (!f->ops)
		return;
	json_builder_set_member_name(b, key);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ops");
	json_builder_add_int_value(b, (gint64)f->ops);
	json_builder_set_member_name(b, "seconds");
	json_builder_add_double_value(b, f->seconds);
	json_builder_set_member_name(b, "latency_us");
	json_builder_add_double_value(b, us);
	json_builder_set_member_name(b, "per_second");
	json_builder_add_double_value(b, f->seconds > 0 ? (double)f->ops / f->seconds : 0);
	if (bus > 0) {
		json_builder_set_member_name(b, "latency_vs_raw_ipc");
		json_builder_add_double_value(b, us / bus);
	}
	if (f->cpu_s >= 0) {
		json_builder_set_member_name(b, "cpu_us");
		json_builder_add_double_value(b, cpu);
		if (bcpu > 0) {
			json_builder_set_member_name(b, "cpu_vs_raw_ipc");
			json_builder_add_double_value(b, cpu / bcpu);
		}
	}
	if (f->rpmb_writes) {
		double wpo = (double)f->rpmb_writes / (double)f->ops;
		json_builder_set_member_name(b, "rpmb_writes_per_op");
		json_builder_add_double_value(b, wpo);
		if (bcpu > 0) {
			json_builder_set_member_name(b, "cpu_vs_raw_ipc_per_rpmb_write");
			json_builder_add_double_value(b, cpu / wpo / bcpu);
		}
	}
	if (f == mm_figure && mm_figure_round_trips) {
		double mpo = (double)mm_figure_round_trips / (double)f->ops;
		json_builder_set_member_name(b, "mm_round_trips_per_op");
		json_builder_add_double_value(b, mpo);
		if (bcpu > 0) {
			json_builder_set_member_name(b, "cpu_vs_raw_ipc_per_mm_round_trip");
			json_builder_add_double_value(b, cpu / mpo / bcpu);
		}
	}
	if (f->note) {
		json_builder_set_member_name(b, "note");
		json_builder_add_string_value(b, f->note);
	}
	json_builder_end_object(b);
}

/* One GetVariable as soon as the stack answers (NOT_FOUND counts: it was answered). */
static int first_get(const char *tee_sock, const uint8_t *name, size_t name_size)
{
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	g_autoptr(emu_client) c = NULL;
	uint8_t data[64];
	uint64_t size = sizeof(data);
	int r = emu_client_open(tee_sock, 30000, &c);

	if (r < 0)
		return r;
	efi_status_t s = emu_client_get_variable(c, name, name_size, &g, NULL, &size, data);
	return s == EFI_SUCCESS || s == EFI_NOT_FOUND ? 0 : -EIO;
}

int main(int argc, char **argv)
{
	g_autofree char *state = NULL, *auth_dir = NULL, *auth_guid = NULL, *json = NULL;
	g_autofree char *fsync_dir = NULL;
	double seconds = 2.0;
	gint64 max_ops = 200000;
	gboolean set_only = FALSE, auth_only = FALSE, want_first_get = FALSE;
	g_autofree char *label = NULL;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, "state directory of a running stack",
		  "DIR" },
		{ "seconds", 'd', 0, G_OPTION_ARG_DOUBLE, &seconds, "duration of each figure (2)", "S" },
		{ "max-ops", 'n', 0, G_OPTION_ARG_INT64, &max_ops, "at most this many per figure", "N" },
		{ "auth-dir", 0, 0, G_OPTION_ARG_FILENAME, &auth_dir,
		  "presigned .auth updates of BenchAuthVar (name order = timestamp order)", "DIR" },
		{ "auth-guid", 0, 0, G_OPTION_ARG_STRING, &auth_guid, "their vendor GUID", "GUID" },
		{ "set-only", 0, 0, G_OPTION_ARG_NONE, &set_only,
		  "only the SetVariable NV figure (and --fsync-dir)", NULL },
		{ "auth-only", 0, 0, G_OPTION_ARG_NONE, &auth_only,
		  "only raw IPC and the authenticated figure (needs --auth-dir)", NULL },
		{ "label", 0, 0, G_OPTION_ARG_STRING, &label,
		  "names the stack in the authenticated row, e.g. \"raw layout\"", "TEXT" },
		{ "first-get", 0, 0, G_OPTION_ARG_NONE, &want_first_get,
		  "one GetVariable as soon as the stack answers, then exit", NULL },
		{ "fsync-dir", 0, 0, G_OPTION_ARG_FILENAME, &fsync_dir,
		  "also time one 4 KiB write + fdatasync in DIR", "DIR" },
		{ "json", 0, 0, G_OPTION_ARG_FILENAME, &json, "write the figures to FILE as JSON",
		  "FILE" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("[-- UP-COMMAND...] - variable request rates vs raw IPC");
	g_autoptr(GError) error = NULL;
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "bench_vars: %s\n", error->message);
		return 2;
	}
	if (seconds <= 0 || seconds > 60 || max_ops <= 0) {
		fprintf(stderr, "bench_vars: --seconds must be in (0, 60], --max-ops > 0\n");
		return 2;
	}
	if (auth_only && (set_only || !auth_dir)) {
		fprintf(stderr, "bench_vars: --auth-only needs --auth-dir, not --set-only\n");
		return 2;
	}
	auth_label = label;
	signal(SIGPIPE, SIG_IGN);

	g_autofree uint8_t *name = NULL;
	size_t name_size;
	if (ucs2_from_utf8("BenchVar", &name, &name_size) < 0)
		return 1;

	struct emu_state st;
	emu_state_init(&st, state);
	if (want_first_get) {
		/* `-- CMD...`: run CMD (stmm-emu up ...) first and print the milliseconds from
		 * its start to the GetVariable answered, this client's own start left out. */
		gint64 t0 = g_get_monotonic_time();
		int fr = 0;
		if (argc > 1 && strcmp(argv[1], "--") == 0) { /* GOption leaves it in place */
			argv++;
			argc--;
		}
		if (argc > 1) {
			gint status = 0;
			if (!g_spawn_sync(NULL, argv + 1, NULL, G_SPAWN_SEARCH_PATH |
					  G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
					  &status, &error) ||
			    !g_spawn_check_wait_status(status, &error)) {
				fprintf(stderr, "bench_vars: %s: %s\n", argv[1], error->message);
				emu_state_clear(&st);
				return 1;
			}
		}
		fr = first_get(st.tee_sock, name, name_size);
		if (fr < 0)
			fprintf(stderr, "bench_vars: first GetVariable: %s\n", g_strerror(-fr));
		else if (argc > 1)
			printf("first_get_ms %.1f\n", (double)(g_get_monotonic_time() - t0) / 1000.0);
		emu_state_clear(&st);
		return fr < 0 ? 1 : 0;
	}
	g_autoptr(emu_client) c = NULL;
	int r = emu_client_open(st.tee_sock, 30000, &c);
	if (r < 0) {
		fprintf(stderr, "bench_vars: %s: %s (is the stack up?)\n", st.tee_sock, g_strerror(-r));
		emu_state_clear(&st);
		return 3;
	}
	cpu_stack = &st;

	struct figure get = { 0 }, set = { 0 }, ipc = { 0 }, aset = { 0 }, fsy = { 0 };
	int rc = 1;
	/* Authenticated sets first: the plain SetVariable figure runs until the store is full. */
	if (auth_dir && !set_only) {
		efi_guid_t ag;
		g_autoptr(GPtrArray) payloads = load_auth_payloads(auth_dir);
		if (!auth_guid || efi_guid_parse(auth_guid, &ag) < 0 || payloads->len == 0) {
			fprintf(stderr, "bench_vars: --auth-dir needs .auth files and --auth-guid\n");
			rc = 2;
			goto out;
		}
		if (bench_auth_set(c, payloads, &ag, seconds, (uint64_t)max_ops, &aset) < 0)
			goto out;
	}
	/* The variable GetVariable reads; SetVariable then rewrites it. */
	if (!auth_only && bench_set(c, name, name_size, 0.001, 1, &set) < 0)
		goto out;
	if (!set_only && !auth_only &&
	    bench_get(c, name, name_size, seconds, (uint64_t)max_ops, &get) < 0)
		goto out;
	if (!auth_only && bench_set(c, name, name_size, seconds, (uint64_t)max_ops, &set) < 0)
		goto out;
	if (fsync_dir) {
		r = bench_fsync(fsync_dir, 1000, &fsy);
		if (r < 0) {
			fprintf(stderr, "bench_vars: fsync in %s: %s\n", fsync_dir, g_strerror(-r));
			goto out;
		}
	}
	/* The GetVariable request: 24 + 16 + 40 + name + 64 bytes of data room. */
	size_t msg = MM_VARIABLE_PAYLOAD_OFFSET + 40 + name_size + 64;
	if (!set_only) {
		r = bench_ipc(msg, seconds, (uint64_t)max_ops * 10, &ipc);
		if (r < 0) {
			fprintf(stderr, "bench_vars: raw IPC: %s\n", g_strerror(-r));
			goto out;
		}
	}

	printf("%-27s %8s %10s %9s %10s %9s\n", "", "ops", "us/op", "vs raw", "CPU us/op",
	       "vs raw");
	if (ipc.ops)
		print_row(&ipc, &ipc);
	if (get.ops)
		print_row(&get, &ipc);
	if (set.ops)
		print_row(&set, &ipc);
	if (aset.ops)
		print_row(&aset, &ipc);
	if (fsy.ops) {
		double one = us_per_op(&fsy);
		printf("%-27s %8" PRIu64 " %10.1f\n", fsy.what, fsy.ops, one);
	}
	if (!set_only && !auth_only) {
		printf("\nraw IPC = one %zu-byte message there and back between two processes\n"
		       "(SOCK_SEQPACKET socketpair, lib/ipc.c framing).  GetVariable crosses 2\n"
		       "processes (client, stmmd) once per MM round trip the Linux driver makes\n"
		       "(GET_VARIABLE, then VAR_CHECK_VARIABLE_PROPERTY_GET); SetVariable NV\n"
		       "crosses all 4 with RPMB writes.\n"
		       "CPU = utime + stime of every process involved (client + 3 daemons; both\n"
		       "ends for raw IPC), per operation.\n",
		       msg);
		if (aset.ops)
			printf("SetVariable AT = a private authenticated variable, RSA-2048 / SHA-256 "
			       "PKCS#7\n(efitools), verified by stmmd with OpenSSL before the same NV "
			       "write.\n");
	}
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		json_figure(b, "raw_ipc", &ipc, &ipc);
		json_figure(b, "get_variable", &get, &ipc);
		json_figure(b, "set_variable_nv", &set, ipc.ops ? &ipc : NULL);
		json_figure(b, "set_variable_auth", &aset, &ipc);
		json_figure(b, "fsync", &fsy, NULL);
		json_builder_end_object(b);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		json_generator_set_root(gen, root);
		json_generator_set_pretty(gen, TRUE);
		if (!json_generator_to_file(gen, json, &error)) {
			fprintf(stderr, "bench_vars: %s\n", error->message);
			goto out;
		}
	}
	rc = 0;
out:
	cpu_stack = NULL;
	emu_state_clear(&st);
	return rc;
}
