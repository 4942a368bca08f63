/* SPDX-License-Identifier: MIT */
/*
 * The two costs every authenticated RPMB write pays whatever the emulator does around them,
 * measured on this machine in the same run as the figures they bound (tests/bench/run.sh):
 *
 *   relay round trip     three processes in a chain, as stmmd -> supplicantd -> rpmbd and
 *                        back: fork()ed children, socketpairs, lib/ipc.c framing, each hop
 *                        a poll + recvmsg + sendmsg as in the daemons, messages the sizes
 *                        of an RPMB write's (an RPC request, the MMC sequence, the device's
 *                        answer, the RPC answer).  No parsing, no MAC, no storage.
 *   durable block write  rpmbd's own store (rpmb/storage.c, SQLite WAL, synchronous=FULL):
 *                        one 256-byte block and the new write counter in one transaction,
 *                        in a fresh database in --dir, as rpmbd commits each authenticated
 *                        write.  No IPC, no MAC.
 *   write crypto         the cryptography one write of OP-TEE's RPMB file system needs,
 *                        through the project's own functions (lib/): the block encrypted
 *                        (AES-128-CBC, ESSIV IV, optee_fs_crypt_block_fek), the request
 *                        frame MACed by OP-TEE and checked by the device, the device's
 *                        result frame MACed by it and checked by OP-TEE (HMAC-SHA256,
 *                        rpmb_sign_frames / rpmb_verify_frames).  One process, no IPC.
 *
 * A request the device answers from storage costs at least the relay; a write at least
 * the relay plus the commit plus its crypto.  run.sh multiplies them by the requests and writes a fresh
 * `up` makes to give its floor.  CPU per operation is summed over every process (this one
 * and both children, from wait4).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "ipc.h"
#include "optee_fs_crypto.h"
#include "rpmb_host.h"
/* The bench rule adds no program include dirs: reach rpmbd's store by path. */
#include "../../rpmb/storage.h"

/* Payload sizes of one RPMB write on the wire (strace of supplicantd; each message also has
 * its 16-byte header): stmmd's RPC request (one
 * 512-byte frame in, one out), supplicantd's MMC sequence (the write frame, the
 * RESULT_READ request, the read), rpmbd's answer (one frame), the RPC answer. */
enum { RPC_REQ = 534, MMC_SEQ = 1128, MMC_RSP = 520, RPC_RSP = 520 };

struct figure {
	const char *what;
	uint64_t ops;
	double seconds;
	double cpu_s;
};

static double now_s(void)
{
	return (double)g_get_monotonic_time() / 1e6;
}

static double rusage_s(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
	       (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static double self_cpu_s(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_SELF, &ru) == 0 ? rusage_s(&ru) : 0;
}

/* One hop's receive and forward: what a daemon does per message, no work between. */
static _Noreturn void hop_loop(int in_fd, int out_fd, size_t fwd_size, size_t answer_size)
{
	uint8_t *fwd = g_malloc0(fwd_size), *answer = g_malloc0(answer_size);
	for (;;) {
		struct emu_msg *m = NULL, *a = NULL;
		if (emu_ipc_recv(in_fd, -1, &m) < 0)
			_exit(0);
		uint32_t id = m->hdr.req_id;
		emu_msg_free(m);
		if (out_fd >= 0) {
			/* The relay: forward, wait for the device's answer (as supplicantd does). */
			if (emu_ipc_send(out_fd, EMU_MSG_MMC_SEQ_REQ, id, fwd, fwd_size) < 0 ||
			    emu_ipc_recv(out_fd, 5000, &a) < 0)
				_exit(1);
			emu_msg_free(a);
		}
		if (emu_ipc_send(in_fd, EMU_MSG_SUPP_RPC_RSP, id, answer, answer_size) < 0)
			_exit(1);
	}
}

static int bench_relay(double seconds, struct figure *f)
{
	int a[2], b[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, b) < 0) {
		int e = errno;
		close(a[0]);
		close(a[1]);
		return -e;
	}
	pid_t dev = fork();
	if (dev == 0) {
		close(a[0]);
		close(a[1]);
		close(b[0]);
		hop_loop(b[1], -1, 0, MMC_RSP);
	}
	pid_t relay = dev > 0 ? fork() : -1;
	if (relay == 0) {
		close(a[0]);
		close(b[1]);
		hop_loop(a[1], b[0], MMC_SEQ, RPC_RSP);
	}
	close(a[1]);
	close(b[0]);
	close(b[1]);
	int r = dev < 0 || relay < 0 ? -EAGAIN : 0;
	uint8_t req[RPC_REQ] = { 0 };
	double c0 = self_cpu_s(), t0 = now_s();
	uint64_t n = 0;
	while (r == 0 && now_s() - t0 < seconds) {
		struct emu_msg *m = NULL;
		r = emu_ipc_send(a[0], EMU_MSG_SUPP_RPC_REQ, (uint32_t)n + 1, req, sizeof(req));
		if (r >= 0)
			r = emu_ipc_recv(a[0], 5000, &m);
		emu_msg_free(m);
		if (r == 0)
			n++;
	}
	double dt = now_s() - t0, cpu = self_cpu_s() - c0;
	close(a[0]); /* the relay sees the hang-up, exits, and so does the device */
	struct rusage ru;
	if (relay > 0 && wait4(relay, NULL, 0, &ru) == relay)
		cpu += rusage_s(&ru);
	if (dev > 0 && wait4(dev, NULL, 0, &ru) == dev)
		cpu += rusage_s(&ru);
	if (r < 0)
		return r;
	/* The children's CPU includes their start and exit: no exec, a few µs. */
	*f = (struct figure){ "relay round trip (3 procs)", n, dt, cpu };
	return 0;
}

static void remove_db(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", ".lock" };
	for (size_t i = 0; i < G_N_ELEMENTS(suffix); i++) {
		g_autofree char *p = g_strconcat(path, suffix[i], NULL);
		(void)unlink(p);
	}
}

static int bench_store(const char *dir, double seconds, struct figure *f)
{
	g_autofree char *path = g_build_filename(dir, "bench-floor.db", NULL);
	g_autofree char *error = NULL;
	struct rpmb_store_create create = { .size_mult = 2, .rel_wr_sec_c = 1 };
	struct rpmb_store *s = NULL;

	remove_db(path);
	int r = rpmb_store_open_sqlite(path, &create, &s, &error);
	if (r < 0) {
		fprintf(stderr, "bench_floor: %s\n", error ? error : g_strerror(-r));
		return r;
	}
	uint8_t block[256];
	memset(block, 0x5a, sizeof(block));
	double c0 = self_cpu_s(), t0 = now_s();
	uint64_t n = 0;
	/* Addresses spread over the partition's upper half, where a fresh store is written. */
	while (r == 0 && now_s() - t0 < seconds) {
		block[0] = (uint8_t)n;
		r = rpmb_store_write(s, (uint16_t)(512 + n % 512), 1, block, (uint32_t)n + 1);
		if (r == 0)
			n++;
	}
	double dt = now_s() - t0, cpu = self_cpu_s() - c0;
	if (r < 0)
		fprintf(stderr, "bench_floor: store write: %s\n",
			rpmb_store_last_error(s) ? rpmb_store_last_error(s) : g_strerror(-r));
	rpmb_store_close(s);
	remove_db(path);
	if (r < 0)
		return r;
	*f = (struct figure){ "durable block write", n, dt, cpu };
	return 0;
}

static int bench_crypto(double seconds, struct figure *f)
{
	uint8_t key[RPMB_KEY_SIZE], fek[OPTEE_FS_FEK_SIZE], plain[256];
	struct rpmb_frame req, rsp;
	int r = 0;

	memset(key, 0x11, sizeof(key));
	memset(fek, 0x22, sizeof(fek));
	memset(plain, 0x33, sizeof(plain));
	double c0 = self_cpu_s(), t0 = now_s();
	uint64_t n = 0;
	while (r == 0 && now_s() - t0 < seconds) {
		uint16_t blk = (uint16_t)(512 + n % 512);
		rpmb_frame_init(&req, RPMB_REQ_DATA_WRITE, blk, 1, (uint32_t)n, NULL);
		r = optee_fs_crypt_block_fek(fek, blk, true, plain, req.data, sizeof(plain));
		if (r == 0)
			r = rpmb_sign_frames(key, &req, 1);
		if (r == 0 && !rpmb_verify_frames(key, &req, 1))
			r = -EBADMSG;
		rpmb_frame_init(&rsp, RPMB_RESP_DATA_WRITE, blk, 1, (uint32_t)n + 1, NULL);
		if (r == 0)
			r = rpmb_sign_frames(key, &rsp, 1);
		if (r == 0 && !rpmb_verify_frames(key, &rsp, 1))
			r = -EBADMSG;
		if (r == 0)
			n++;
	}
	double dt = now_s() - t0, cpu = self_cpu_s() - c0;
	if (r < 0)
		return r;
	*f = (struct figure){ "write crypto", n, dt, cpu };
	return 0;
}

static void row(const struct figure *f)
{
	printf("%-27s %8" PRIu64 " %10.1f %10.1f\n", f->what, f->ops,
	       f->seconds * 1e6 / (double)f->ops, f->cpu_s * 1e6 / (double)f->ops);
}

static void json_figure(JsonBuilder *b, const char *key, const struct figure *f)
{
	json_builder_set_member_name(b, key);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "ops");
	json_builder_add_int_value(b, (gint64)f->ops);
	json_builder_set_member_name(b, "latency_us");
	json_builder_add_double_value(b, f->seconds * 1e6 / (double)f->ops);
	json_builder_set_member_name(b, "cpu_us");
	json_builder_add_double_value(b, f->cpu_s * 1e6 / (double)f->ops);
	json_builder_end_object(b);
}

int main(int argc, char **argv)
{
	g_autofree char *dir = NULL, *json = NULL;
	double seconds = 1;
	GOptionEntry entries[] = {
		{ "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir,
		  "where the store's database goes (the filesystem the stack runs on; required)",
		  "DIR" },
		{ "seconds", 'd', 0, G_OPTION_ARG_DOUBLE, &seconds, "duration of each figure (1)",
		  "S" },
		{ "json", 0, 0, G_OPTION_ARG_FILENAME, &json, "write the figures to FILE as JSON",
		  "FILE" },
		G_OPTION_ENTRY_NULL
	};
	g_autoptr(GOptionContext) ctx =
		g_option_context_new("- what one RPMB request and one write cost at least here");
	g_autoptr(GError) error = NULL;
	g_option_context_add_main_entries(ctx, entries, NULL);
	g_option_context_set_description(
		ctx, "relay round trip: three processes passing an RPMB write's messages along\n"
		     "(lib/ipc.c, as stmmd -> supplicantd -> rpmbd and back), no work between.\n"
		     "durable block write: one block and the write counter committed in rpmbd's\n"
		     "SQLite store (rpmb/storage.c) in DIR, no IPC.\n"
		     "write crypto: one block's AES-CBC encryption and the four HMAC-SHA256 of a\n"
		     "write's request and result frames (lib/), no IPC.  CPU = every process involved.");
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		fprintf(stderr, "bench_floor: %s\n", error->message);
		return 2;
	}
	if (!dir || argc > 1 || seconds <= 0 || seconds > 60) {
		fprintf(stderr, "bench_floor: needs --dir DIR and --seconds in (0, 60]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	struct figure relay, store, crypto;
	int r = bench_relay(seconds, &relay);
	if (r < 0) {
		fprintf(stderr, "bench_floor: relay: %s\n", g_strerror(-r));
		return 1;
	}
	if (bench_store(dir, seconds, &store) < 0)
		return 1;
	r = bench_crypto(seconds, &crypto);
	if (r < 0) {
		fprintf(stderr, "bench_floor: crypto: %s\n", g_strerror(-r));
		return 1;
	}
	printf("%-27s %8s %10s %10s\n", "", "ops", "us/op", "CPU us/op");
	row(&relay);
	row(&store);
	row(&crypto);
	if (json) {
		g_autoptr(JsonBuilder) b = json_builder_new();
		json_builder_begin_object(b);
		json_figure(b, "relay_round_trip", &relay);
		json_figure(b, "store_write", &store);
		json_figure(b, "write_crypto", &crypto);
		json_builder_end_object(b);
		g_autoptr(JsonGenerator) gen = json_generator_new();
		g_autoptr(JsonNode) root = json_builder_get_root(b);
		json_generator_set_root(gen, root);
		if (!json_generator_to_file(gen, json, &error)) {
			fprintf(stderr, "bench_floor: %s\n", error->message);
			return 1;
		}
	}
	return 0;
}
