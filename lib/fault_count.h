/* SPDX-License-Identifier: MIT */
/*
 * Run-time faults (include/emu_ipc.h, EMU_MSG_CTRL_FAULT_*): the one table every daemon
 * keeps, counting protocol events from the moment each fault was armed.  A fault fires at
 * the `count`-th event of its trigger and on the `repeat` - 1 events of that kind after it
 * (repeat 0 = 1, EMU_FAULT_REPEAT_FOREVER = for ever), then disarms itself.  On one event
 * every armed fault of a matching trigger counts it; the oldest one that is due fires (the
 * others that were due at that event let it pass).  No I/O except fault_ctrl_handle(), no
 * logging above debug.
 */
#ifndef STMM_EMU_FAULT_COUNT_H
#define STMM_EMU_FAULT_COUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_ipc.h"
#include "ipc.h"

struct fault_slot {
	bool armed;
	uint32_t id;
	struct emu_ctrl_fault f;
	uint32_t seen;  /* events of its trigger since armed */
	uint32_t fired; /* times it fired */
};

struct fault_table {
	struct fault_slot slot[EMU_FAULT_MAX];
	uint32_t next_id; /* last id given; ids start at 1 and increase: lower = older */
};

/* What fired: a copy of the fault, its id and the how-many-th firing (1 = first). */
struct fault_fired {
	uint32_t id;
	uint32_t nth;
	uint32_t event; /* the event's number for this fault, counted from arming */
	struct emu_ctrl_fault f;
};

/* The daemon that takes a fault request: which triggers (and their actions) are allowed. */
enum fault_daemon {
	FAULT_DAEMON_RPMBD,
	FAULT_DAEMON_SUPPLICANTD,
	FAULT_DAEMON_STMMD,
};

void fault_table_init(struct fault_table *t);

/*
 * Validate `f` for `daemon` (trigger, action of that trigger, count >= 1, reserved 0,
 * rpc_cmd only with EMU_FAULT_AT_RPC, RESULT value <= 0xff, CORRUPT value < 512 and
 * value2 <= 0xff).  0 or -EINVAL with a one-line reason in *ret_why (static text).
 */
__attribute__((warn_unused_result)) int fault_check(enum fault_daemon daemon,
						    const struct emu_ctrl_fault *f,
						    const char **ret_why);

/* Arm a checked fault.  0 (id and number armed now returned) or -ENOSPC. */
__attribute__((warn_unused_result)) int fault_table_arm(struct fault_table *t,
							const struct emu_ctrl_fault *f,
							uint32_t *ret_id, uint32_t *ret_armed);
void fault_table_clear(struct fault_table *t);
unsigned fault_table_armed(const struct fault_table *t);

/*
 * One event, of every trigger in triggers[0..n) at once (an RPMB sequence with a data write
 * is both EMU_FAULT_AT_RPMB_WRITE and EMU_FAULT_AT_RPMB_SEQ); rpc_cmd is matched against a
 * fault's rpc_cmd for EMU_FAULT_AT_RPC.  true and *ret when a fault fires.
 */
bool fault_table_event(struct fault_table *t, const uint16_t *triggers, size_t n,
		       uint32_t rpc_cmd, struct fault_fired *ret);

/* "drop-response at the 1st RPMB write from now" and friends (g_free). */
char *fault_describe(const struct emu_ctrl_fault *f);
const char *fault_action_name(uint16_t action);
const char *fault_trigger_name(uint16_t trigger);

/*
 * Serve EMU_MSG_CTRL_FAULT_REQ / EMU_MSG_CTRL_FAULT_CLEAR_REQ received on fd (exactly one
 * reply).  Logs one line per armed/cleared plan (g_message, the daemon's domain is the
 * caller's: this is the daemons' shared handler).  0 or the send error.
 */
__attribute__((warn_unused_result)) int fault_ctrl_handle(struct fault_table *t,
							  enum fault_daemon daemon, int fd,
							  const struct emu_msg *msg);

/*
 * Log one fired fault ("fault #3 fired: drop-response at RPMB write 1 (1st of 1)") and
 * pass the same text to fault_fired_note().
 */
void fault_log_fired(const struct fault_fired *ff, const char *event_text);

/*
 * Hook for the trace: called with the text of every fired fault.  A weak no-op here; the
 * trace recorder defines the real one.
 */
void fault_fired_note(const char *text);

#endif
