/* SPDX-License-Identifier: MIT */
/*
 * stmmd's RPC to the supplicant (stmm/optee/rpc.c): the worker reads the supplicant's reply
 * itself from the connection it sent the request on, with nobody routing it
 * (rpc_handle_reply), and is woken out of that wait by a shutdown, a detach or the
 * supplicant hanging up.  What it reads that is not its reply goes to the forward
 * callback.
 *
 * The test thread plays the supplicant on its end of a socketpair; rpc_call runs on a
 * second thread, the worker.  Synchronisation is by messages: the test thread blocks on
 * the request arriving before it acts, and joins the worker for the result.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu_ipc.h"
#include "ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpc.h"

#define LONG_TIMEOUT_MS 20000 /* far above what any test waits: a wake-up, not the timeout */

struct fwd_rec {
	int fd;
	int r;
	uint16_t type;
	bool was_supplicant;
};

struct fx {
	struct rpc *rpc;
	int supp;   /* the supplicant's end */
	int stmm;   /* stmmd's end, attached */
	GThread *worker;
	uint8_t out[16];
	/* forward callback records (worker thread writes before rpc_call returns) */
	struct fwd_rec fwd[4];
	unsigned nfwd;
};

static void record_forward(void *ctx, int fd, int r, struct emu_msg *msg, bool was_supplicant)
{
	struct fx *f = ctx;
	if (f->nfwd < G_N_ELEMENTS(f->fwd))
		f->fwd[f->nfwd] = (struct fwd_rec){ .fd = fd, .r = r,
						     .type = msg ? msg->hdr.type : 0,
						     .was_supplicant = was_supplicant };
	f->nfwd++;
	emu_msg_free(msg);
}

static int fx_setup_timeout(void **state, int timeout_ms)
{
	struct fx *f = g_new0(struct fx, 1);
	int sv[2];

	assert_int_equal(rpc_new(NULL, timeout_ms, &f->rpc), 0);
	rpc_set_forward(f->rpc, record_forward, f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	f->supp = sv[0];
	f->stmm = sv[1];
	assert_int_equal(rpc_attach_supplicant(f->rpc, f->stmm), 0);
	*state = f;
	return 0;
}

static int fx_setup(void **state)
{
	return fx_setup_timeout(state, LONG_TIMEOUT_MS);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	if (f->worker)
		(void)g_thread_join(f->worker);
	rpc_detach_supplicant(f->rpc, f->stmm);
	rpc_free(f->rpc);
	if (f->supp >= 0)
		close(f->supp);
	close(f->stmm);
	g_free(f);
	return 0;
}

/* The worker: one FRAMES call wanting 16 bytes back; its result as the thread's value. */
static gpointer worker_call(gpointer data)
{
	struct fx *f = data;
	static const uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int r = rpc_call(f->rpc, OPTEE_RPC_CMD_RPMB_FRAMES, in, sizeof(in), f->out, sizeof(f->out));
	return GINT_TO_POINTER(r);
}

static void start_call(struct fx *f)
{
	f->worker = g_thread_new("stmm", worker_call, f);
}

static int join_call(struct fx *f)
{
	int r = GPOINTER_TO_INT(g_thread_join(f->worker));
	f->worker = NULL;
	return r;
}

/* Block until the worker's request is there; its req_id. */
static uint32_t supp_take_request(struct fx *f)
{
	g_autoptr(emu_msg) m = NULL;
	assert_int_equal(emu_ipc_recv(f->supp, 5000, &m), 0);
	assert_int_equal(m->hdr.type, EMU_MSG_SUPP_RPC_REQ);
	struct emu_supp_rpc hdr;
	assert_true(m->hdr.length >= sizeof(hdr));
	memcpy(&hdr, m->payload, sizeof(hdr));
	assert_int_equal(hdr.cmd, OPTEE_RPC_CMD_RPMB_FRAMES);
	assert_int_equal(hdr.out_len, 16);
	return m->hdr.req_id;
}

static void supp_reply(struct fx *f, uint32_t req_id, uint8_t fill)
{
	uint8_t buf[sizeof(struct emu_supp_rpc_rsp) + 16];
	struct emu_supp_rpc_rsp rsp = { .ret = TEE_SUCCESS, .out_len = 16 };
	memcpy(buf, &rsp, sizeof(rsp));
	memset(buf + sizeof(rsp), fill, 16);
	assert_int_equal(emu_ipc_send(f->supp, EMU_MSG_SUPP_RPC_RSP, req_id, buf, sizeof(buf)), 0);
}

/* Nobody calls rpc_handle_reply: the worker read the reply itself. */
static void reply_read_by_worker(void **state)
{
	struct fx *f = *state;

	start_call(f);
	uint32_t id = supp_take_request(f);
	supp_reply(f, id, 0xa5);
	assert_int_equal(join_call(f), 0);
	for (unsigned i = 0; i < sizeof(f->out); i++)
		assert_int_equal(f->out[i], 0xa5);
	assert_int_equal(f->nfwd, 0);
	struct rpc_health h;
	rpc_get_health(f->rpc, &h);
	assert_int_equal(h.pending_ms, 0);
	assert_true(h.ok_time > 0);
	assert_int_equal(h.fail_time, 0);
}

/* A reply with another id (late, or made up) is dropped; a message that is not a reply
 * goes to the forward callback; then the real reply completes the call. */
static void foreign_reply_dropped_other_message_forwarded(void **state)
{
	struct fx *f = *state;

	start_call(f);
	uint32_t id = supp_take_request(f);
	supp_reply(f, id + 1000, 0x11);
	assert_int_equal(emu_ipc_send(f->supp, EMU_MSG_CTRL_STATUS_REQ, 77, NULL, 0), 0);
	supp_reply(f, id, 0x22);
	assert_int_equal(join_call(f), 0);
	assert_int_equal(f->out[0], 0x22);
	assert_int_equal(f->nfwd, 1);
	assert_int_equal(f->fwd[0].fd, f->stmm);
	assert_int_equal(f->fwd[0].r, 0);
	assert_int_equal(f->fwd[0].type, EMU_MSG_CTRL_STATUS_REQ);
	assert_true(rpc_supplicant_attached(f->rpc));
}

/* The supplicant's TEEC error is the call's result, read by the worker too. */
static void error_reply_mapped(void **state)
{
	struct fx *f = *state;

	start_call(f);
	uint32_t id = supp_take_request(f);
	struct emu_supp_rpc_rsp rsp = { .ret = TEE_ERROR_ITEM_NOT_FOUND, .out_len = 0 };
	assert_int_equal(emu_ipc_send(f->supp, EMU_MSG_SUPP_RPC_RSP, id, &rsp, sizeof(rsp)), 0);
	assert_int_equal(join_call(f), -ENOENT);
}

/* rpc_shutdown wakes a worker blocked on a supplicant that never answers. */
static void shutdown_wakes_worker(void **state)
{
	struct fx *f = *state;

	start_call(f);
	(void)supp_take_request(f);
	gint64 t0 = g_get_monotonic_time();
	rpc_shutdown(f->rpc);
	assert_int_equal(join_call(f), -ESHUTDOWN);
	assert_true(g_get_monotonic_time() - t0 < (gint64)LONG_TIMEOUT_MS * 1000 / 2);
}

/* The supplicant hangs up mid-call: -ECONNRESET, the connection is detached at once (a
 * new supplicant may register) and the hang-up goes to the forward callback. */
static void supplicant_hangup_mid_call(void **state)
{
	struct fx *f = *state;

	start_call(f);
	(void)supp_take_request(f);
	close(f->supp);
	f->supp = -1;
	assert_int_equal(join_call(f), -ECONNRESET);
	assert_false(rpc_supplicant_attached(f->rpc));
	assert_int_equal(f->nfwd, 1);
	assert_int_equal(f->fwd[0].fd, f->stmm);
	assert_true(f->fwd[0].r < 0 && f->fwd[0].r != -EBADMSG);
	assert_true(f->fwd[0].was_supplicant);
	struct rpc_health h;
	rpc_get_health(f->rpc, &h);
	assert_int_equal(h.fail_errno, -ECONNRESET);
}

/* The main thread detaches the connection mid-call: -ECONNRESET, and the detach returns
 * only once the worker no longer reads the fd (the caller closes it next). */
static void detach_mid_call(void **state)
{
	struct fx *f = *state;

	start_call(f);
	(void)supp_take_request(f);
	gint64 t0 = g_get_monotonic_time();
	rpc_detach_supplicant(f->rpc, f->stmm);
	assert_int_equal(join_call(f), -ECONNRESET);
	assert_true(g_get_monotonic_time() - t0 < (gint64)LONG_TIMEOUT_MS * 1000 / 2);
	assert_int_equal(f->nfwd, 0);
}

/* Before boot a call waits for a supplicant; one registering lets it through. */
static void waits_for_supplicant_then_reads(void **state)
{
	struct fx *f = *state;

	rpc_detach_supplicant(f->rpc, f->stmm);
	start_call(f);
	/* Nothing is sent until a supplicant registers: the socket stays empty. */
	g_autoptr(emu_msg) none = NULL;
	assert_int_equal(emu_ipc_recv(f->supp, 50, &none), -ETIMEDOUT);
	assert_int_equal(rpc_attach_supplicant(f->rpc, f->stmm), 0);
	uint32_t id = supp_take_request(f);
	supp_reply(f, id, 0x5a);
	assert_int_equal(join_call(f), 0);
	assert_int_equal(f->out[15], 0x5a);
}

/* A supplicant that stalls: -ETIMEDOUT after the rpc timeout, and its late reply is then
 * dropped by the next call, which gets its own. */
static void stalled_supplicant_times_out(void **state)
{
	struct fx *f = *state;

	start_call(f);
	uint32_t id = supp_take_request(f);
	assert_int_equal(join_call(f), -ETIMEDOUT);
	supp_reply(f, id, 0x01); /* late */
	start_call(f);
	uint32_t id2 = supp_take_request(f);
	assert_int_not_equal(id2, id);
	supp_reply(f, id2, 0x02);
	assert_int_equal(join_call(f), 0);
	assert_int_equal(f->out[0], 0x02);
	assert_int_equal(f->nfwd, 0);
}

static int fx_setup_short(void **state)
{
	return fx_setup_timeout(state, 200);
}

/* After boot (nowait), no supplicant: -ECOMM at once. */
static void nowait_without_supplicant(void **state)
{
	struct fx *f = *state;

	rpc_detach_supplicant(f->rpc, f->stmm);
	rpc_set_supplicant_nowait(f->rpc, true);
	start_call(f);
	assert_int_equal(join_call(f), -ECOMM);
}

/* The supplicant hung up between two calls (nobody polls it during a job): the next call
 * finds it on its send, drops the connection as the main thread would have, and -- after
 * boot -- fails with -ECOMM as with no supplicant; the hang-up is forwarded. */
static void hangup_between_calls_after_boot(void **state)
{
	struct fx *f = *state;

	rpc_set_supplicant_nowait(f->rpc, true);
	close(f->supp);
	f->supp = -1;
	start_call(f);
	assert_int_equal(join_call(f), -ECOMM);
	assert_false(rpc_supplicant_attached(f->rpc));
	assert_int_equal(f->nfwd, 1);
	assert_int_equal(f->fwd[0].fd, f->stmm);
	assert_true(f->fwd[0].was_supplicant);
}

/* The same before boot: the call waits for a new supplicant and goes to it. */
static void hangup_between_calls_before_boot(void **state)
{
	struct fx *f = *state;
	int sv[2];

	close(f->supp);
	start_call(f);
	while (rpc_supplicant_attached(f->rpc)) /* the worker found the hang-up */
		g_thread_yield();
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	f->supp = sv[0];
	close(f->stmm);
	f->stmm = sv[1];
	assert_int_equal(rpc_attach_supplicant(f->rpc, f->stmm), 0);
	uint32_t id = supp_take_request(f);
	supp_reply(f, id, 0x77);
	assert_int_equal(join_call(f), 0);
	assert_int_equal(f->out[3], 0x77);
	assert_int_equal(f->nfwd, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(reply_read_by_worker),
		T(foreign_reply_dropped_other_message_forwarded),
		T(error_reply_mapped),
		T(shutdown_wakes_worker),
		T(supplicant_hangup_mid_call),
		T(detach_mid_call),
		T(waits_for_supplicant_then_reads),
		cmocka_unit_test_setup_teardown(stalled_supplicant_times_out, fx_setup_short,
						fx_teardown),
		T(nowait_without_supplicant),
		T(hangup_between_calls_after_boot),
		T(hangup_between_calls_before_boot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
