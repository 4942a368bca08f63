/* SPDX-License-Identifier: MIT */
/* rpmbd's run-time faults around the real device (rpmb/fault_plan.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bytes.h"
#include "fault_plan.h"
#include "rpmb_host.h"
#include "test_rpmb_memstore.h"

static const uint8_t key[RPMB_KEY_SIZE] = { 0x11, 0x22, 0x33 };
static const uint8_t nonce[RPMB_NONCE_SIZE] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };

struct t {
	struct mem_store store;
	struct rpmb_device *dev;
	int sv[2];
};

static int setup(void **state)
{
	struct t *t = g_new0(struct t, 1);
	t->store.base.ops = &mem_ops;
	t->store.meta.size_mult = MEM_SIZE_MULT;
	t->store.meta.rel_wr_sec_c = 1;
	t->store.meta.key_set = true;
	memcpy(t->store.meta.key, key, sizeof(key));
	t->store.meta.write_counter = 5;
	assert_int_equal(rpmb_device_new(&t->store.base, 0, &t->dev), 0);
	rpmb_fault_set_store(&t->store.base);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, t->sv), 0);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	struct emu_msg clear = { .hdr = { .type = EMU_MSG_CTRL_FAULT_CLEAR_REQ }, .fd = -1 };
	g_autoptr(emu_msg) reply = NULL;
	assert_int_equal(rpmb_fault_handle(t->sv[0], &clear), 0);
	assert_int_equal(emu_ipc_recv(t->sv[1], 1000, &reply), 0);
	rpmb_device_free(t->dev);
	close(t->sv[0]);
	close(t->sv[1]);
	g_free(t);
	return 0;
}

/* Arm through the socket handler, as rpmbd's server does; returns the reply type. */
static uint16_t arm(struct t *t, uint16_t trigger, uint16_t action, uint32_t value,
		    uint32_t value2)
{
	struct emu_ctrl_fault f = { .trigger = trigger, .action = action, .count = 1,
				    .value = value, .value2 = value2 };
	struct emu_msg msg = { .hdr = { .type = EMU_MSG_CTRL_FAULT_REQ, .req_id = 7,
					.length = sizeof(f) },
			       .payload = (uint8_t *)&f, .fd = -1 };
	g_autoptr(emu_msg) reply = NULL;
	assert_int_equal(rpmb_fault_handle(t->sv[0], &msg), 0);
	assert_int_equal(emu_ipc_recv(t->sv[1], 1000, &reply), 0);
	assert_int_equal(reply->hdr.req_id, 7);
	return reply->hdr.type;
}

/* GET_WRITE_COUNTER: CMD25(request) CMD18(1). */
static int counter_seq(struct t *t, struct rpmb_frame *req, struct rpmb_frame *out, bool *lost)
{
	rpmb_frame_init(req, RPMB_REQ_WRITE_COUNTER, 0, 0, 0, nonce);
	struct rpmb_seq seq = { .n_xfers = 2, .out_frames = 1, .out = out };
	seq.xfers[0] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = req };
	seq.xfers[1] = (struct rpmb_xfer){ .write = false, .blocks = 1, .out = out };
	return rpmb_fault_run(t->dev, &seq, lost);
}

/* DATA_WRITE of one block at 3 with the right counter, then RESULT_READ. */
static int write_seq(struct t *t, struct rpmb_frame *out, bool *lost)
{
	struct rpmb_frame w, rr;
	rpmb_frame_init(&w, RPMB_REQ_DATA_WRITE, 3, 1, t->store.meta.write_counter, NULL);
	memset(w.data, 0xab, sizeof(w.data));
	assert_int_equal(rpmb_sign_frames(key, &w, 1), 0);
	rpmb_frame_init(&rr, RPMB_REQ_RESULT_READ, 0, 0, 0, NULL);
	struct rpmb_seq seq = { .n_xfers = 3, .out_frames = 1, .out = out };
	seq.xfers[0] = (struct rpmb_xfer){ .write = true, .reliable = true, .blocks = 1, .in = &w };
	seq.xfers[1] = (struct rpmb_xfer){ .write = true, .blocks = 1, .in = &rr };
	seq.xfers[2] = (struct rpmb_xfer){ .write = false, .blocks = 1, .out = out };
	return rpmb_fault_run(t->dev, &seq, lost);
}

static void fault_arm_refuses_foreign_trigger(void **state)
{
	struct t *t = *state;
	assert_int_equal(arm(t, EMU_FAULT_AT_MM_CALL, EMU_FAULT_STMM_CRASH, 0, 0), EMU_MSG_ERROR);
	assert_int_equal(arm(t, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_DELAY, 0, 0),
			 EMU_MSG_CTRL_FAULT_RSP);
}

static void fault_result_counter_read_macs(void **state)
{
	struct t *t = *state;
	struct rpmb_frame req, out;
	bool lost;
	arm(t, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_RESULT, RPMB_RESULT_AUTH_FAILURE, 0);
	assert_int_equal(counter_seq(t, &req, &out, &lost), 0);
	assert_false(lost);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_WRITE_COUNTER);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_AUTH_FAILURE);
	assert_int_equal(get_be32(out.write_counter), 5);
	assert_memory_equal(out.nonce, nonce, sizeof(nonce));
	assert_true(rpmb_verify_frames(key, &out, 1));
}

static void fault_result_write_not_executed(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	bool lost;
	arm(t, EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_RESULT, RPMB_RESULT_GENERAL_FAILURE, 0);
	assert_int_equal(write_seq(t, &out, &lost), 0);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_DATA_WRITE);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_GENERAL_FAILURE);
	assert_int_equal(get_be16(out.address), 3);
	assert_int_equal(get_be32(out.write_counter), 5);
	assert_true(rpmb_verify_frames(key, &out, 1));
	assert_int_equal(t->store.meta.write_counter, 5); /* nothing committed */
	assert_int_equal(t->store.blocks[3 * RPMB_DATA_SIZE], 0);
	/* One shot: the resend is executed. */
	assert_int_equal(write_seq(t, &out, &lost), 0);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_OK);
	assert_int_equal(t->store.meta.write_counter, 6);
}

static void fault_drop_response_commits(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	bool lost;
	arm(t, EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_DROP_RESPONSE, 0, 0);
	assert_int_equal(write_seq(t, &out, &lost), 0);
	assert_true(lost);
	assert_int_equal(t->store.meta.write_counter, 6);
	assert_int_equal(t->store.blocks[3 * RPMB_DATA_SIZE], 0xab);
}

static void fault_read_trigger_ignores_writes(void **state)
{
	struct t *t = *state;
	struct rpmb_frame out;
	bool lost;
	arm(t, EMU_FAULT_AT_RPMB_READ, EMU_FAULT_DROP_RESPONSE, 0, 0);
	assert_int_equal(write_seq(t, &out, &lost), 0);
	assert_false(lost);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_OK);
}

static void fault_corrupt_flips_one_byte(void **state)
{
	struct t *t = *state;
	struct rpmb_frame req, out;
	bool lost;
	arm(t, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_CORRUPT, 503, 0x01); /* counter's low byte */
	assert_int_equal(counter_seq(t, &req, &out, &lost), 0);
	assert_int_equal(get_be32(out.write_counter), 5 ^ 1);
	assert_false(rpmb_verify_frames(key, &out, 1));
	arm(t, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_CORRUPT, 511, 0); /* 0 = 0xff */
	assert_int_equal(counter_seq(t, &req, &out, &lost), 0);
	assert_int_equal(get_be16(out.req_resp), RPMB_RESP_WRITE_COUNTER ^ 0xff);
}

static void fault_delay_answers_late(void **state)
{
	struct t *t = *state;
	struct rpmb_frame req, out;
	bool lost;
	arm(t, EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_DELAY, 60, 0);
	gint64 t0 = g_get_monotonic_time();
	assert_int_equal(counter_seq(t, &req, &out, &lost), 0);
	assert_true(g_get_monotonic_time() - t0 >= 60000);
	assert_false(lost);
	assert_int_equal(get_be16(out.result), RPMB_RESULT_OK);
	assert_true(rpmb_verify_frames(key, &out, 1));
}

int main(void)
{
	(void)fake_dev_info; /* from the shared memstore header */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fault_arm_refuses_foreign_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_result_counter_read_macs, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_result_write_not_executed, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_drop_response_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_read_trigger_ignores_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_corrupt_flips_one_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_delay_answers_late, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
