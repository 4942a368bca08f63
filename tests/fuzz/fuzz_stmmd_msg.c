/* SPDX-License-Identifier: MIT */
/*
 * fuzz_stmmd_msg: one input = a sequence of messages (tests/fuzz/fuzz_msgseq.h: u8 peer ‖
 * 16-byte header ‖ payload, repeated) from three connections to stmmd's tee socket, each
 * handed to the tee core's real dispatch, tee_core_dispatch (stmm/optee/tee.c): open and
 * close session, register and unregister shared memory, INVOKE with the TEE driver's
 * memref checks and PTA_STMM's parameter checks, the supplicant's and the kernel RPMB
 * handler's registration, stray SUPP_RPC_RSP, CTRL_STATUS / EXPORT / RESET and the run-time
 * faults (stmm/optee/fault.c).  Queued jobs run on this thread (tee_core_run_jobs) and their
 * replies are delivered by iterating the main context, after every message.  The core
 * and its connections are built afresh for every input (so session, shm and connection ids
 * start at 1 and an input replays alone); state lives across its records.
 *
 * Peer byte: bits 0-1 the connection (mod 3); bit 7 set: the message carries a memfd (as
 * SCM_RIGHTS would) of (bits 4-6 + 1) x 4 KiB -- what REGISTER_SHM needs, and what every
 * other handler must refuse or ignore without leaking.
 *
 * The PTA behind PTA_STMM is a stub (MM parsing has fuzz_mm): communicate answers from
 * the buffer's first byte and writes into it; boot fails when asked to by the fuzzer
 * (an MM buffer starting with 0xbb makes the next boot fail); export and reset succeed; a
 * buffer starting with an odd byte is a local read (answered inside dispatch when StMM is
 * idle).
 * Faults that end the process (STMM_CRASH) are not armed: their records are skipped.
 * Every reply must be a well-formed message, and each message gets exactly one on its
 * connection (none for a supplicant's RPC reply); nothing may leak.
 */
#include <sys/mman.h>

#include "fuzz_msgseq.h"
#include "pta_stmm.h"
#include "rpc.h"
#include "tee.h"

#define PEERS 3u

static struct rpc *rpc;
static struct tee_core *core;
static int peer_fd[PEERS] = { -1, -1, -1 };
static uint32_t conn_id[PEERS];
static bool fail_boot;

/* ---- the stub PTA ---- */

static int stub_boot(void *ctx)
{
	(void)ctx;
	return fail_boot ? -EIO : 0;
}

static int32_t stub_communicate(void *ctx, uint8_t *buf, size_t size)
{
	(void)ctx;
	if (size == 0)
		return -2; /* ARM_SPM_MM_RET_INVALID_PARAMS */
	fail_boot = buf[0] == 0xbb;
	int32_t ret = (int32_t)(buf[0] % 4) * -1;
	memset(buf, 0x5a, MIN(size, (size_t)64));
	return ret;
}

static void stub_status(void *ctx, struct emu_ctrl_status *st)
{
	(void)ctx;
	st->live_variables = 3;
}

static int stub_export(void *ctx, const struct emu_ctrl_export_req *req, GBytes **ret_image,
		       struct emu_ctrl_export_rsp *ret_info)
{
	(void)ctx;
	if (req->var_store_size > 1u << 20)
		return -EINVAL;
	gsize n = MAX(req->var_store_size, 1u);
	*ret_image = g_bytes_new_take(g_malloc0(n), n);
	memset(ret_info, 0, sizeof(*ret_info));
	ret_info->total = n;
	return 0;
}

static int stub_reset(void *ctx)
{
	(void)ctx;
	return fail_boot ? -EIO : 0;
}

/* A buffer whose first byte is odd is a read StMM answers from memory: the core may run it
 * on the dispatching thread (tee.h). */
static bool stub_is_local(void *ctx, const uint8_t *buf, size_t size)
{
	(void)ctx;
	return size > 0 && (buf[0] & 1);
}

static const struct tee_pta_ops stub_pta = {
	.boot = stub_boot,
	.communicate = stub_communicate,
	.get_status = stub_status,
	.export_fv = stub_export,
	.reset = stub_reset,
	.mm_call_is_local = stub_is_local,
};

/* ---- the harness ---- */

static void connect_peer(unsigned i)
{
	conn_id[i] = tee_core_adopt(core, fuzz_msgseq_reconnect(&peer_fd[i]));
}

static int dispatch(unsigned p, struct emu_msg *msg)
{
	return tee_core_dispatch(core, conn_id[p], msg);
}

static void teardown(void)
{
	if (core) {
		(void)tee_core_run_jobs(core);
		while (g_main_context_iteration(NULL, FALSE))
			;
	}
	g_clear_pointer(&core, tee_core_free); /* closes the connections */
	g_clear_pointer(&rpc, rpc_free);
	fuzz_msgseq_close_peers(peer_fd, PEERS);
}

static void setup(void)
{
	const struct tee_config cfg = { .ns_buf_size = 16 * 1024 };

	teardown();
	fail_boot = false;
	if (rpc_new(NULL, 1000, &rpc) < 0 || tee_core_new(&cfg, &stub_pta, rpc, NULL, &core) < 0)
		abort();
	for (unsigned i = 0; i < PEERS; i++)
		connect_peer(i);
	fuzz_msgseq_clear_faults(dispatch, 0, peer_fd[0], "fuzz_stmmd_msg");
}

static int make_memfd(size_t size)
{
	int fd = memfd_create("fuzz-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		perror("fuzz_stmmd_msg: memfd");
		abort();
	}
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_record rec;
	size_t off = 0;

	fuzz_quiet();
	setup();
	while (fuzz_msgseq_next(data, size, &off, &rec)) {
		if (fuzz_msgseq_arms_fault(&rec.msg, EMU_FAULT_STMM_CRASH, EMU_FAULT_STMM_CRASH))
			continue;
		unsigned p = (rec.peer & 3u) % PEERS;
		if (rec.peer & 0x80)
			rec.msg.fd = make_memfd((size_t)(((rec.peer >> 4) & 7u) + 1) * 4096);
		int r = dispatch(p, &rec.msg);
		if (rec.msg.fd >= 0)
			close(rec.msg.fd); /* not taken over: emu_msg_free's job in the daemon */
		if (r == -ENOENT) {
			fprintf(stderr, "fuzz_stmmd_msg: connection %u unknown to the core\n", p);
			abort();
		}
		/* The worker's turn, then the main loop's: replies of finished jobs. */
		while (tee_core_run_jobs(core) || g_main_context_iteration(NULL, FALSE))
			;
		/* Queued jobs have run and answered: one reply per message, except an RPC
		 * reply from the supplicant that matched (or missed) a call. */
		fuzz_msgseq_settle(peer_fd, PEERS, p, r, &rec.msg,
				   rec.msg.hdr.type == EMU_MSG_SUPP_RPC_RSP ? 0 : 1, connect_peer,
				   "fuzz_stmmd_msg");
	}
	return 0;
}
