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
	unsigned boots, calls;
	GThread *call_thread;
};

static int stub_boot(void *ctx)
{
	struct fx *f = ctx;
	f->boots++;
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

/* Two clients; StMM not booted yet (the first session queued its boot). */
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
	(void)run_worker(f);
	tee_core_free(f->core);
	rpc_free(f->rpc);
	for (unsigned i = 0; i < 2; i++) {
		munmap(f->c[i].shm, SHM_SIZE);
		close(f->c[i].peer);
	}
	g_free(f);
	return 0;
}

/* Boot StMM (the job the session's opening queued). */
static void boot(struct fx *f)
{
	assert_int_equal(run_worker(f), 1);
	assert_int_equal(f->boots, 1);
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

	invoke(f, 'R'); /* the boot job is still queued */
	assert_int_equal(f->calls, 0);
	assert_null(reply(f));
	assert_int_equal(run_worker(f), 2); /* boot, then the read */
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
