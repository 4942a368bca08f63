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
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The bench rule adds no program include dirs: reach emu/ by path. */
#include "client.h"
#include "efi_util.h"
#include "ipc.h"
#include "mm.h"
#include "state.h"

struct figure {
	const char *what;
	uint64_t ops;
	double seconds;
	const char *note;
};

static double now_s(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static int bench_get(emu_client *c, const uint8_t *name, size_t name_size, double seconds,
		     uint64_t max_ops, struct figure *f)
{
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	uint8_t data[64];
	double t0 = now_s();
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
	*f = (struct figure){ "GetVariable (32 B)", n, now_s() - t0, NULL };
	return 0;
}

static int bench_set(emu_client *c, const uint8_t *name, size_t name_size, double seconds,
		     uint64_t max_ops, struct figure *f)
{
	const efi_guid_t g = EFI_GLOBAL_VARIABLE_GUID;
	uint8_t data[32];
	double t0 = now_s();
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
			*f = (struct figure){ "SetVariable NV (32 B)", n, now_s() - t0,
					      "stopped early: store full (EFI_OUT_OF_RESOURCES)" };
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
	*f = (struct figure){ "SetVariable NV (32 B)", n, now_s() - t0, NULL };
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

static int bench_auth_set(emu_client *c, GPtrArray *payloads, const efi_guid_t *g,
			  double seconds, uint64_t max_ops, struct figure *f)
{
	const uint32_t attrs = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			       EFI_VARIABLE_RUNTIME_ACCESS |
			       EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS;
	g_autofree uint8_t *name = NULL;
	size_t name_size;
	double t0 = now_s();
	uint64_t n = 0;

	if (ucs2_from_utf8("BenchAuthVar", &name, &name_size) < 0)
		return -EINVAL;
	while (n < max_ops && n < payloads->len && now_s() - t0 < seconds) {
		gsize size;
		const uint8_t *data = g_bytes_get_data(payloads->pdata[n], &size);
		efi_status_t s = emu_client_set_variable(c, name, name_size, g, attrs, size, data);
		if (s == EFI_OUT_OF_RESOURCES && n > 0) {
			*f = (struct figure){ "SetVariable AT (32 B)", n, now_s() - t0,
					      "stopped early: store full (EFI_OUT_OF_RESOURCES)" };
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
	*f = (struct figure){ "SetVariable AT (32 B)", n, now_s() - t0,
			      n == payloads->len ? "all presigned payloads used" : NULL };
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
	g_free(payload);
	close(sv[0]);
	waitpid(pid, NULL, 0);
	if (r < 0)
		return r;
	*f = (struct figure){ "raw IPC round trip", n, dt, NULL };
	return 0;
}

static void print_row(const struct figure *f, double base_us)
{
	double rate = f->seconds > 0 ? (double)f->ops / f->seconds : 0;
	double us = f->ops ? f->seconds * 1e6 / (double)f->ops : 0;
	printf("%-24s %10" PRIu64 " %8.2f %12.0f %10.1f %10.1fx%s%s\n", f->what, f->ops, f->seconds,
	       rate, us, base_us > 0 ? us / base_us : 0, f->note ? "  " : "", f->note ? f->note : "");
}

int main(int argc, char **argv)
{
	g_autofree char *state = NULL, *auth_dir = NULL, *auth_guid = NULL;
	double seconds = 2.0;
	gint64 max_ops = 200000;
	GOptionEntry entries[] = {
		{ "state", 's', 0, G_OPTION_ARG_FILENAME, &state, "state directory of a running stack",
		  "DIR" },
		{ "seconds", 'd', 0, G_OPTION_ARG_DOUBLE, &seconds, "duration of each figure (2)", "S" },
		{ "max-ops", 'n', 0, G_OPTION_ARG_INT64, &max_ops, "at most this many per figure", "N" },
		{ "auth-dir", 0, 0, G_OPTION_ARG_FILENAME, &auth_dir,
		  "presigned .auth updates of BenchAuthVar (name order = timestamp order)", "DIR" },
		{ "auth-guid", 0, 0, G_OPTION_ARG_STRING, &auth_guid, "their vendor GUID", "GUID" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- variable request rates vs raw IPC");
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
	signal(SIGPIPE, SIG_IGN);

	struct emu_state st;
	emu_state_init(&st, state);
	g_autoptr(emu_client) c = NULL;
	int r = emu_client_open(st.tee_sock, 30000, &c);
	if (r < 0) {
		fprintf(stderr, "bench_vars: %s: %s (is the stack up?)\n", st.tee_sock, g_strerror(-r));
		emu_state_clear(&st);
		return 3;
	}
	emu_state_clear(&st);

	g_autofree uint8_t *name = NULL;
	size_t name_size;
	if (ucs2_from_utf8("BenchVar", &name, &name_size) < 0)
		return 1;
	struct figure get = { 0 }, set = { 0 }, ipc = { 0 }, aset = { 0 };
	/* Authenticated sets first: the plain SetVariable figure runs until the store is full. */
	if (auth_dir) {
		efi_guid_t ag;
		g_autoptr(GPtrArray) payloads = load_auth_payloads(auth_dir);
		if (!auth_guid || efi_guid_parse(auth_guid, &ag) < 0 || payloads->len == 0) {
			fprintf(stderr, "bench_vars: --auth-dir needs .auth files and --auth-guid\n");
			return 2;
		}
		if (bench_auth_set(c, payloads, &ag, seconds, (uint64_t)max_ops, &aset) < 0)
			return 1;
	}
	/* The variable GetVariable reads; SetVariable then rewrites it. */
	if (bench_set(c, name, name_size, 0.001, 1, &set) < 0)
		return 1;
	if (bench_get(c, name, name_size, seconds, (uint64_t)max_ops, &get) < 0 ||
	    bench_set(c, name, name_size, seconds, (uint64_t)max_ops, &set) < 0)
		return 1;
	/* The GetVariable request: 24 + 16 + 40 + name + 64 bytes of data room. */
	size_t msg = MM_VARIABLE_PAYLOAD_OFFSET + 40 + name_size + 64;
	r = bench_ipc(msg, seconds, (uint64_t)max_ops * 10, &ipc);
	if (r < 0) {
		fprintf(stderr, "bench_vars: raw IPC: %s\n", g_strerror(-r));
		return 1;
	}

	double base_us = ipc.ops ? ipc.seconds * 1e6 / (double)ipc.ops : 0;
	printf("%-24s %10s %8s %12s %10s %11s\n", "", "ops", "seconds", "ops/s", "us/op",
	       "vs raw IPC");
	print_row(&ipc, base_us);
	print_row(&get, base_us);
	print_row(&set, base_us);
	if (aset.ops)
		print_row(&aset, base_us);
	printf("\nraw IPC = one %zu-byte message there and back between two processes\n"
	       "(SOCK_SEQPACKET socketpair, lib/ipc.c framing).  GetVariable crosses 2\n"
	       "processes (client, stmmd); SetVariable NV crosses all 4 with RPMB writes.\n",
	       msg);
	if (aset.ops)
		printf("SetVariable AT = a private authenticated variable, RSA-2048 / SHA-256 PKCS#7\n"
		       "(efitools), verified by stmmd with OpenSSL before the same NV write.\n");
	return 0;
}
