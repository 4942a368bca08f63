/* SPDX-License-Identifier: MIT */
/*
 * stmmd's tee core (stmm/optee/tee.c), driven in process through tee_core_adopt /
 * tee_core_dispatch / tee_core_run_jobs: which invokes the main thread answers itself and
 * which go to the StMM worker (tee.h).  A read StMM answers from memory (the PTA's
 * mm_call_is_local) is answered at once, on the dispatching thread, once StMM is booted and
 * idle; anything else -- a write, StMM not booted yet, a job queued before it -- waits for
 * the worker, and a connection's answers stay in the order of its requests.
 *
 * The PTA is a stub: an MM buffer starting with 'R' is a local read, anything else is not;
 * communicate records the thread it ran on and writes its call number into the buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "emu_ipc.h"
#include "ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpc.h"
#include "tee.h"

#define SHM_SIZE 4096u

/* A client: its end of an adopted connection, its session and shared memory. */
struct client {
	int peer;
	uint32_t conn;
	uint32_t session;
	uint32_t shm_id;
	uint8_t *shm;      /* our mapping of the registered memfd */
};

struct fx {
	struct rpc *rpc;
	struct tee_core *core;
	struct client c[2];
	uint32_t next_req;
	/* the stub PTA */
	gint boots;
	gint boot_attempts; /* every call of the boot, failed ones too */
	bool boot_fails;    /* the store is unreachable: the boot fails */
	unsigned calls;
	GThread *call_thread;
	bool boot_rpc; /* the boot makes one RPC to the supplicant (as StMM reads RPMB) */
	gint boot_started; /* the worker entered the boot */
};

static int stub_boot(void *ctx)
{
	struct fx *f = ctx;
	g_atomic_int_set(&f->boot_started, 1);
	g_atomic_int_inc(&f->boot_attempts);
	if (f->boot_fails)
		return -EIO;
	if (f->boot_rpc) {
		static const uint8_t in[4] = { 1, 2, 3, 4 };
		uint8_t out[4];
		int r = rpc_call(f->rpc, OPTEE_RPC_CMD_RPMB_FRAMES, in, sizeof(in), out, sizeof(out));
		if (r < 0)
			return r;
	}
	g_atomic_int_inc(&f->boots);
	return 0;
}

static int32_t stub_communicate(void *ctx, uint8_t *buf, size_t size)
{
	struct fx *f = ctx;
	f->calls++;
	f->call_thread = g_thread_self();
	if (size >= 2)
		buf[1] = (uint8_t)f->calls;
	return 0;
}

static void stub_status(void *ctx, struct emu_ctrl_status *st)
{
	(void)ctx;
	(void)st;
}

static bool stub_is_local(void *ctx, const uint8_t *buf, size_t size)
{
	(void)ctx;
	return size > 0 && buf[0] == 'R';
}

/* Send one message on c through the core's real dispatch, as the socket's reader does. */
static void dispatch_on(struct fx *f, struct client *c, uint16_t type, const void *payload,
			uint32_t len, int fd)
{
	struct emu_msg msg = {
		.hdr = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION, .type = type,
			 .length = len, .req_id = ++f->next_req },
		.payload = (uint8_t *)payload,
		.fd = fd,
	};
	assert_int_equal(tee_core_dispatch(f->core, c->conn, &msg), 0);
	if (msg.fd >= 0)
		close(msg.fd);
}

/* The next reply on the client's end, if one is there; NULL when none. */
static struct emu_msg *reply_on(struct client *c)
{
	struct emu_msg *m = NULL;
	int r = emu_ipc_recv(c->peer, 0, &m);
	if (r == -ETIMEDOUT || r == -EAGAIN)
		return NULL;
	assert_int_equal(r, 0);
	return m;
}

/* The worker's turn, then the main context's (the finished jobs' replies).  Jobs run. */
static unsigned run_worker(struct fx *f)
{
	unsigned n = tee_core_run_jobs(f->core);
	while (g_main_context_iteration(NULL, FALSE))
		;
	return n;
}

static void invoke_on(struct fx *f, struct client *c, char kind)
{
	struct emu_tee_invoke req = {
		.session = c->session,
		.cmd = PTA_STMM_CMD_COMMUNICATE,
		.param_types = PTA_STMM_COMMUNICATE_PARAM_TYPES,
		.params[0] = { .a = c->shm_id, .b = 0, .c = 64 },
	};
	memset(c->shm, 0, 64);
	c->shm[0] = (uint8_t)kind;
	dispatch_on(f, c, EMU_MSG_TEE_INVOKE_REQ, &req, sizeof(req), -1);
}

/* The next reply on c is an INVOKE answer for `req_id`, TEE_SUCCESS, StMM's call `call`. */
static void expect_answer_on(struct client *c, uint32_t req_id, unsigned call)
{
	g_autoptr(emu_msg) m = reply_on(c);
	assert_non_null(m);
	assert_int_equal(m->hdr.type, EMU_MSG_TEE_INVOKE_RSP);
	assert_int_equal(m->hdr.req_id, req_id);
	assert_int_equal(m->hdr.length, sizeof(struct emu_tee_invoke_rsp));
	struct emu_tee_invoke_rsp rsp;
	memcpy(&rsp, m->payload, sizeof(rsp));
	assert_int_equal(rsp.ret, TEE_SUCCESS);
	assert_int_equal(rsp.origin, TEE_ORIGIN_TRUSTED_APP);
	assert_int_equal(rsp.params[1].a, 0);
	if (call)
		assert_int_equal(c->shm[1], call); /* StMM's answer is in shared memory */
}

/* The first client's shorthands. */
#define invoke(f, kind) invoke_on(f, &(f)->c[0], kind)
#define reply(f) reply_on(&(f)->c[0])
#define expect_invoke_answer(f, req_id, call) expect_answer_on(&(f)->c[0], req_id, call)

/* A connection with a PTA_STMM session and 4 KiB of shared memory. */
static void client_open(struct fx *f, struct client *c)
{
	static const uint8_t uuid[TEE_UUID_SIZE] = PTA_STMM_UUID_BYTES;
	struct emu_tee_result res;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	c->peer = sv[0];
	c->conn = tee_core_adopt(f->core, sv[1]);

	struct emu_tee_open_session os;
	memcpy(os.uuid, uuid, sizeof(uuid));
	dispatch_on(f, c, EMU_MSG_TEE_OPEN_SESSION_REQ, &os, sizeof(os), -1);
	g_autoptr(emu_msg) m = reply_on(c);
	assert_non_null(m);
	memcpy(&res, m->payload, sizeof(res));
	assert_int_equal(res.ret, TEE_SUCCESS);
	c->session = res.id;

	int fd = memfd_create("test-tee", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SHM_SIZE), 0);
	c->shm = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(c->shm != MAP_FAILED);
	struct emu_tee_register_shm rs = { .size = SHM_SIZE };
	dispatch_on(f, c, EMU_MSG_TEE_REGISTER_SHM_REQ, &rs, sizeof(rs), fd);
	g_autoptr(emu_msg) m2 = reply_on(c);
	assert_non_null(m2);
	memcpy(&res, m2->payload, sizeof(res));
	assert_int_equal(res.ret, TEE_SUCCESS);
	c->shm_id = res.id;
}

/* Two clients; StMM not booted yet (each session's opening queued a boot attempt). */
static int fx_setup(void **state)
{
	const struct tee_config cfg = { .ns_buf_size = 16 * 1024 };
	struct fx *f = g_new0(struct fx, 1);
	struct tee_pta_ops ops = { .ctx = f, .boot = stub_boot, .communicate = stub_communicate,
				   .get_status = stub_status, .mm_call_is_local = stub_is_local };

	assert_int_equal(rpc_new(NULL, 1000, &f->rpc), 0);
	assert_int_equal(tee_core_new(&cfg, &ops, f->rpc, NULL, &f->core), 0);
	client_open(f, &f->c[0]);
	client_open(f, &f->c[1]);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	if (f->core) {
		(void)run_worker(f);
		tee_core_free(f->core);
	}
	rpc_free(f->rpc);
	for (unsigned i = 0; i < 2; i++) {
		munmap(f->c[i].shm, SHM_SIZE);
		close(f->c[i].peer);
	}
	g_free(f);
	return 0;
}

/* Boot StMM (the jobs the sessions' openings queued: the second finds it up). */
static void boot(struct fx *f)
{
	assert_int_equal(run_worker(f), 2);
	assert_int_equal(f->boots, 1);
	assert_int_equal(f->boot_attempts, 1);
}

static void invoke_read_answered_at_once(void **state)
{
	struct fx *f = *state;

	boot(f);
	invoke(f, 'R');
	/* Answered inside dispatch, on this thread, with no job for the worker. */
	assert_int_equal(f->calls, 1);
	assert_ptr_equal(f->call_thread, g_thread_self());
	expect_invoke_answer(f, f->next_req, 1);
	assert_null(reply(f));
	assert_int_equal(run_worker(f), 0);
	invoke(f, 'R');
	expect_invoke_answer(f, f->next_req, 2);
}

static void invoke_write_goes_to_worker(void **state)
{
	struct fx *f = *state;

	boot(f);
	invoke(f, 'W');
	assert_int_equal(f->calls, 0);
	assert_null(reply(f));
	assert_int_equal(run_worker(f), 1);
	assert_int_equal(f->calls, 1);
	expect_invoke_answer(f, f->next_req, 1);
}

static void invoke_read_waits_for_boot(void **state)
{
	struct fx *f = *state;

	invoke(f, 'R'); /* the boot jobs are still queued */
	assert_int_equal(f->calls, 0);
	assert_null(reply(f));
	assert_int_equal(run_worker(f), 3); /* the two boot jobs, then the read */
	assert_int_equal(f->boots, 1);
	expect_invoke_answer(f, f->next_req, 1);
}

static void invoke_read_stays_behind_queued_write(void **state)
{
	struct fx *f = *state;

	boot(f);
	invoke(f, 'W');
	uint32_t write_id = f->next_req;
	invoke(f, 'R'); /* StMM is busy with the write: the read queues behind it */
	assert_int_equal(f->calls, 0);
	assert_null(reply(f));
	assert_int_equal(run_worker(f), 2);
	assert_int_equal(f->calls, 2);
	expect_invoke_answer(f, write_id, 0);
	expect_invoke_answer(f, write_id + 1, 2);
	/* Idle again: the next read is answered at once. */
	invoke(f, 'R');
	expect_invoke_answer(f, f->next_req, 3);
	assert_int_equal(run_worker(f), 0);
}

/* A finished job whose answer the main loop has not sent yet still holds the connection's
 * slot: a read arriving then waits for the worker too, so the answers keep their order. */
static void invoke_read_after_unsent_answer_keeps_order(void **state)
{
	struct fx *f = *state;

	boot(f);
	invoke(f, 'W');
	uint32_t write_id = f->next_req;
	assert_int_equal(tee_core_run_jobs(f->core), 1); /* done, its answer not yet sent */
	invoke(f, 'R');
	assert_int_equal(f->calls, 1);
	assert_null(reply(f));
	assert_int_equal(run_worker(f), 1);
	expect_invoke_answer(f, write_id, 0);
	expect_invoke_answer(f, write_id + 1, 2);
}

/* StMM runs one call at a time: a read on another connection waits while a write is
 * queued or running, and is answered once the worker has run it. */
static void invoke_read_waits_for_other_connections_call(void **state)
{
	struct fx *f = *state;

	boot(f);
	invoke_on(f, &f->c[0], 'W');
	uint32_t write_id = f->next_req;
	invoke_on(f, &f->c[1], 'R');
	assert_int_equal(f->calls, 0);
	assert_null(reply_on(&f->c[1]));
	assert_int_equal(run_worker(f), 2);
	expect_answer_on(&f->c[0], write_id, 0);
	expect_answer_on(&f->c[1], write_id + 1, 2);
	assert_null(reply_on(&f->c[0]));
	assert_null(reply_on(&f->c[1]));
}

/*
 * With the real worker thread (tee_core_start): the boot's RPC is read by the worker from
 * the supplicant's connection, nobody routes it here.  What else the supplicant sends
 * meanwhile (here a status request) comes back to this thread, the main one, and is
 * answered on that connection.
 */

/* A supplicant on an adopted connection, registered; its end in c->peer. */
static void supplicant_register(struct fx *f, struct client *c)
{
	int sv[2];
	struct emu_tee_result res;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	c->peer = sv[0];
	c->conn = tee_core_adopt(f->core, sv[1]);
	dispatch_on(f, c, EMU_MSG_SUPP_REGISTER_REQ, NULL, 0, -1);
	g_autoptr(emu_msg) m = reply_on(c);
	assert_non_null(m);
	assert_int_equal(m->hdr.type, EMU_MSG_SUPP_REGISTER_RSP);
	memcpy(&res, m->payload, sizeof(res));
	assert_int_equal(res.ret, TEE_SUCCESS);
}

/* The supplicant's side: block until the worker's request is there; its req_id. */
static uint32_t supplicant_take_request(struct client *s)
{
	g_autoptr(emu_msg) m = NULL;
	assert_int_equal(emu_ipc_recv(s->peer, 5000, &m), 0);
	assert_int_equal(m->hdr.type, EMU_MSG_SUPP_RPC_REQ);
	return m->hdr.req_id;
}

static void supplicant_answer(struct client *s, uint32_t req_id)
{
	uint8_t buf[sizeof(struct emu_supp_rpc_rsp) + 4] = { 0 };
	struct emu_supp_rpc_rsp rsp = { .ret = TEE_SUCCESS, .out_len = 4 };
	memcpy(buf, &rsp, sizeof(rsp));
	assert_int_equal(emu_ipc_send(s->peer, EMU_MSG_SUPP_RPC_RSP, req_id, buf, sizeof(buf)), 0);
}

/* Run the main context until the worker's boot has ended (its job_reply ran). */
static void main_until_booted(struct fx *f)
{
	while (!g_atomic_int_get(&f->boots))
		(void)g_main_context_iteration(NULL, TRUE);
	while (g_main_context_iteration(NULL, FALSE))
		;
}

/* Supplicant s takes the boot's RPC and answers it; the boot ends, once. */
static void supplicant_serves_boot(struct fx *f, struct client *s)
{
	uint32_t id = supplicant_take_request(s);
	supplicant_answer(s, id);
	main_until_booted(f);
	assert_int_equal(g_atomic_int_get(&f->boots), 1);
}

static void worker_reads_reply_main_gets_the_rest(void **state)
{
	struct fx *f = *state;
	struct client s = { .peer = -1 };

	f->boot_rpc = true;
	supplicant_register(f, &s); /* the boot job the sessions queued is still waiting */
	assert_int_equal(tee_core_start(f->core), 0);
	uint32_t id = supplicant_take_request(&s);
	assert_int_equal(emu_ipc_send(s.peer, EMU_MSG_CTRL_STATUS_REQ, 4242, NULL, 0), 0);
	/* The worker read it and handed it over: the main context answers it. */
	struct emu_msg *m;
	while (!(m = reply_on(&s)))
		(void)g_main_context_iteration(NULL, TRUE);
	assert_int_equal(m->hdr.type, EMU_MSG_CTRL_STATUS_RSP);
	assert_int_equal(m->hdr.req_id, 4242);
	emu_msg_free(m);
	/* The reply itself: read by the worker, no dispatch here. */
	supplicant_answer(&s, id);
	main_until_booted(f);
	assert_int_equal(g_atomic_int_get(&f->boots), 1);
	assert_null(reply_on(&s));
	close(s.peer);
}

/*
 * The supplicant hangs up while the worker waits for its reply: the boot fails at once
 * (no timeout), a new supplicant can register straight away, the next boot's RPC goes to
 * it, and the main thread closes the old connection.
 */
static void supplicant_hangup_mid_call_then_new_one(void **state)
{
	struct fx *f = *state;
	struct client s1 = { .peer = -1 }, s2 = { .peer = -1 };

	f->boot_rpc = true;
	supplicant_register(f, &s1);
	assert_int_equal(tee_core_start(f->core), 0);
	(void)supplicant_take_request(&s1);
	close(s1.peer);
	/* The worker detaches s1 as soon as it reads the hang-up, before the main thread
	 * hears of it: wait for that (no main-context iteration meanwhile). */
	while (rpc_supplicant_attached(f->rpc))
		g_thread_yield();
	supplicant_register(f, &s2);
	supplicant_serves_boot(f, &s2);
	/* The hang-up reached the main thread: s1's connection is gone. */
	struct emu_msg msg = { .hdr = { .magic = EMU_MSG_MAGIC, .version = EMU_MSG_VERSION,
					.type = EMU_MSG_CTRL_STATUS_REQ }, .fd = -1 };
	assert_int_equal(tee_core_dispatch(f->core, s1.conn, &msg), -ENOENT);
	close(s2.peer);
}

/*
 * A boot already waiting for a supplicant when one registers: its REGISTER_RSP reaches it
 * before the boot's RPC (supplicant_register asserts the first message it gets), however
 * quickly the worker sends once the supplicant is attached.
 */
static void supplicant_register_answered_before_waiting_rpc(void **state)
{
	struct fx *f = *state;
	struct client s = { .peer = -1 };

	f->boot_rpc = true;
	assert_int_equal(tee_core_start(f->core), 0);
	while (!g_atomic_int_get(&f->boot_started))
		g_thread_yield();
	supplicant_register(f, &s);
	supplicant_serves_boot(f, &s);
	close(s.peer);
}

/*
 * A reply the worker posted that the main loop never ran goes with the core: after
 * tee_core_free nothing of it is left on the main context (it used to stay there and run
 * job_reply on the freed core at the next iteration).
 */
static void free_drops_undispatched_replies(void **state)
{
	struct fx *f = *state;

	assert_int_equal(tee_core_run_jobs(f->core), 2); /* the boots: their replies are posted */
	assert_true(g_main_context_pending(NULL));
	tee_core_free(f->core);
	f->core = NULL;
	assert_false(g_main_context_pending(NULL));
}

/*
 * While StMM cannot boot, every session that opens makes one boot attempt, whether or not
 * the worker had taken the previous one yet: the number of attempts (each one's RPCs are in
 * the trace) follows the events, never the timing.  It used to merge an attempt into one
 * still queued, so a scenario's trace changed with the machine's load.
 */
static void boot_attempt_per_session_while_it_fails(void **state)
{
	struct fx *f = *state;

	f->boot_fails = true;
	assert_int_equal(run_worker(f), 2); /* both sessions opened before the worker ran */
	assert_int_equal(f->boot_attempts, 2);
	struct client c3 = { .peer = -1 };
	client_open(f, &c3);
	assert_int_equal(run_worker(f), 1);
	assert_int_equal(f->boot_attempts, 3);
	assert_int_equal(f->boots, 0);
	/* The store is back: the next session's attempt boots StMM, a later one queues none. */
	f->boot_fails = false;
	struct client c4 = { .peer = -1 }, c5 = { .peer = -1 };
	client_open(f, &c4);
	assert_int_equal(run_worker(f), 1);
	assert_int_equal(f->boots, 1);
	client_open(f, &c5);
	assert_int_equal(run_worker(f), 0);
	assert_int_equal(f->boot_attempts, 4);
	struct client *extra[] = { &c3, &c4, &c5 };
	for (unsigned i = 0; i < G_N_ELEMENTS(extra); i++) {
		munmap(extra[i]->shm, SHM_SIZE);
		close(extra[i]->peer);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(invoke_read_answered_at_once),
		T(invoke_write_goes_to_worker),
		T(invoke_read_waits_for_boot),
		T(invoke_read_stays_behind_queued_write),
		T(invoke_read_after_unsent_answer_keeps_order),
		T(invoke_read_waits_for_other_connections_call),
		T(worker_reads_reply_main_gets_the_rest),
		T(supplicant_hangup_mid_call_then_new_one),
		T(free_drops_undispatched_replies),
		T(boot_attempt_per_session_while_it_fails),
		/* Last on purpose: it iterates the default main context, where the tests before
		 * it leave job replies their worker posted; tee_core_free destroys those (run
		 * first, or without that, it aborted in jobs_ended on a freed core). */
		T(supplicant_register_answered_before_waiting_rpc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
