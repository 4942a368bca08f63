/* SPDX-License-Identifier: MIT */
/* The run-time fault table: validation, counting from arming, repeat, oldest first, clear. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fault_count.h"

static const uint16_t WRITE_SEQ[] = { EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_AT_RPMB_SEQ };
static const uint16_t READ_SEQ[] = { EMU_FAULT_AT_RPMB_READ, EMU_FAULT_AT_RPMB_SEQ };
static const uint16_t RPC[] = { EMU_FAULT_AT_RPC };

static struct emu_ctrl_fault mk(uint16_t trigger, uint16_t action, uint32_t count,
				uint32_t repeat)
{
	return (struct emu_ctrl_fault){ .trigger = trigger, .action = action, .count = count,
					.repeat = repeat };
}

static uint32_t arm(struct fault_table *t, struct emu_ctrl_fault f)
{
	uint32_t id = 0, armed = 0;
	assert_int_equal(fault_table_arm(t, &f, &id, &armed), 0);
	return id;
}

/* Fire pattern of `n` write events: bit i set when event i+1 fired. */
static uint32_t pattern(struct fault_table *t, const uint16_t *trig, size_t nt, unsigned n)
{
	uint32_t bits = 0;
	struct fault_fired ff;
	for (unsigned i = 0; i < n; i++)
		if (fault_table_event(t, trig, nt, 0, &ff))
			bits |= 1u << i;
	return bits;
}

static void fault_check_rejects(void **state)
{
	(void)state;
	const char *why = NULL;
	struct emu_ctrl_fault f = mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_DROP_RESPONSE, 1, 0);
	assert_int_equal(fault_check(FAULT_DAEMON_RPMBD, &f, &why), 0);
	assert_int_equal(fault_check(FAULT_DAEMON_STMMD, &f, &why), -EINVAL);
	f.count = 0;
	assert_int_equal(fault_check(FAULT_DAEMON_RPMBD, &f, &why), -EINVAL);
	f = mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_SUPP_EXIT, 1, 0);
	assert_int_equal(fault_check(FAULT_DAEMON_RPMBD, &f, &why), -EINVAL);
	f = mk(EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_CORRUPT, 1, 0);
	f.value = 512;
	assert_int_equal(fault_check(FAULT_DAEMON_RPMBD, &f, &why), -EINVAL);
	f.value = 511;
	assert_int_equal(fault_check(FAULT_DAEMON_RPMBD, &f, &why), 0);
	f.reserved[1] = 1;
	assert_int_equal(fault_check(FAULT_DAEMON_RPMBD, &f, &why), -EINVAL);
	f = mk(EMU_FAULT_AT_RPC, EMU_FAULT_SUPP_DROP, 1, 0);
	f.rpc_cmd = EMU_FAULT_ANY_RPC;
	assert_int_equal(fault_check(FAULT_DAEMON_SUPPLICANTD, &f, &why), 0);
	f = mk(EMU_FAULT_AT_MM_CALL, EMU_FAULT_STMM_CRASH, 1, 0);
	assert_int_equal(fault_check(FAULT_DAEMON_STMMD, &f, &why), 0);
	assert_int_equal(fault_check(FAULT_DAEMON_SUPPLICANTD, &f, &why), -EINVAL);
}

static void fault_table_event_counts_from_arming(void **state)
{
	(void)state;
	struct fault_table t;
	fault_table_init(&t);
	/* Events before arming do not count. */
	assert_int_equal(pattern(&t, WRITE_SEQ, 2, 5), 0);
	arm(&t, mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_DROP_RESPONSE, 3, 0));
	assert_int_equal(pattern(&t, WRITE_SEQ, 2, 6), 0x4); /* the 3rd only, once */
	assert_int_equal(fault_table_armed(&t), 0);          /* spent: disarmed */
}

static void fault_table_event_other_trigger_ignored(void **state)
{
	(void)state;
	struct fault_table t;
	fault_table_init(&t);
	arm(&t, mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_POWER_CUT, 1, 0));
	assert_int_equal(pattern(&t, READ_SEQ, 2, 4), 0);
	assert_int_equal(pattern(&t, WRITE_SEQ, 2, 1), 1);
	/* SEQ counts reads and writes alike. */
	arm(&t, mk(EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_DELAY, 2, 0));
	assert_int_equal(pattern(&t, READ_SEQ, 2, 1), 0);
	assert_int_equal(pattern(&t, WRITE_SEQ, 2, 1), 1);
}

static void fault_table_event_repeat(void **state)
{
	(void)state;
	struct fault_table t;
	fault_table_init(&t);
	arm(&t, mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_RESULT, 2, 3));
	assert_int_equal(pattern(&t, WRITE_SEQ, 2, 8), 0x0e); /* events 2, 3, 4 */
	assert_int_equal(fault_table_armed(&t), 0);
	arm(&t, mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_RESULT, 1, EMU_FAULT_REPEAT_FOREVER));
	assert_int_equal(pattern(&t, WRITE_SEQ, 2, 20), 0xfffff);
	assert_int_equal(fault_table_armed(&t), 1);
}

static void fault_table_event_oldest_first(void **state)
{
	(void)state;
	struct fault_table t;
	struct fault_fired ff;
	fault_table_init(&t);
	uint32_t a = arm(&t, mk(EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_CORRUPT, 1, 0));
	uint32_t b = arm(&t, mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_DROP_RESPONSE, 1, 2));
	assert_true(a < b);
	assert_true(fault_table_event(&t, WRITE_SEQ, 2, 0, &ff));
	assert_int_equal(ff.id, a); /* both due, the older wins; b's first event passes */
	assert_true(fault_table_event(&t, WRITE_SEQ, 2, 0, &ff));
	assert_int_equal(ff.id, b);
	assert_int_equal(ff.nth, 1);
	assert_int_equal(ff.event, 2);
	assert_int_equal(ff.f.action, EMU_FAULT_DROP_RESPONSE);
	assert_false(fault_table_event(&t, WRITE_SEQ, 2, 0, &ff));
}

static void fault_table_event_rpc_cmd(void **state)
{
	(void)state;
	struct fault_table t;
	struct fault_fired ff;
	fault_table_init(&t);
	struct emu_ctrl_fault f = mk(EMU_FAULT_AT_RPC, EMU_FAULT_SUPP_ERROR, 1, 0);
	f.rpc_cmd = 1;
	arm(&t, f);
	assert_false(fault_table_event(&t, RPC, 1, 2, &ff)); /* another kind: not counted */
	assert_true(fault_table_event(&t, RPC, 1, 1, &ff));
	f.rpc_cmd = EMU_FAULT_ANY_RPC;
	arm(&t, f);
	assert_true(fault_table_event(&t, RPC, 1, 7, &ff));
}

static void fault_table_arm_full_and_clear(void **state)
{
	(void)state;
	struct fault_table t;
	uint32_t id, armed;
	fault_table_init(&t);
	struct emu_ctrl_fault f = mk(EMU_FAULT_AT_MM_CALL, EMU_FAULT_STMM_CRASH, 5, 0);
	for (unsigned i = 0; i < EMU_FAULT_MAX; i++) {
		assert_int_equal(fault_table_arm(&t, &f, &id, &armed), 0);
		assert_int_equal(armed, i + 1);
	}
	assert_int_equal(fault_table_arm(&t, &f, &id, &armed), -ENOSPC);
	fault_table_clear(&t);
	assert_int_equal(fault_table_armed(&t), 0);
	assert_int_equal(fault_table_arm(&t, &f, &id, &armed), 0);
	assert_int_equal(id, EMU_FAULT_MAX + 1); /* ids are never reused */
}

static void fault_describe_text(void **state)
{
	(void)state;
	struct emu_ctrl_fault f = mk(EMU_FAULT_AT_RPMB_WRITE, EMU_FAULT_DROP_RESPONSE, 1, 0);
	char *s = fault_describe(&f);
	assert_string_equal(s, "drop-response at the 1st RPMB write from now");
	free(s);
	f = mk(EMU_FAULT_AT_RPMB_SEQ, EMU_FAULT_RESULT, 12, 3);
	f.value = 1;
	s = fault_describe(&f);
	assert_string_equal(s, "result 0x01 at the 12th RPMB sequence from now and the 2 after");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fault_check_rejects),
		cmocka_unit_test(fault_table_event_counts_from_arming),
		cmocka_unit_test(fault_table_event_other_trigger_ignored),
		cmocka_unit_test(fault_table_event_repeat),
		cmocka_unit_test(fault_table_event_oldest_first),
		cmocka_unit_test(fault_table_event_rpc_cmd),
		cmocka_unit_test(fault_table_arm_full_and_clear),
		cmocka_unit_test(fault_describe_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
