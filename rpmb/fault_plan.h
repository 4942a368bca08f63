/* SPDX-License-Identifier: MIT */
/*
 * rpmbd's run-time faults (include/emu_ipc.h, EMU_MSG_CTRL_FAULT_*; `stmm-emu fault rpmbd`),
 * armed on the mmc socket and applied around rpmb_device_run().  Events: every parsed
 * sequence is one EMU_FAULT_AT_RPMB_SEQ; one that carries an authenticated DATA_WRITE
 * request is also an EMU_FAULT_AT_RPMB_WRITE, one with a DATA_READ request also an
 * EMU_FAULT_AT_RPMB_READ.  Actions:
 *   POWER_CUT      log, then _exit(RPMBD_EXIT_POWER_CUT) before the device runs: nothing
 *                  of the sequence is committed and no answer leaves;
 *   DROP_RESPONSE  the sequence runs and commits; the client gets EMU_MSG_ERROR -EIO
 *                  "response lost" instead of the frames (the host's ioctl fails);
 *   DELAY          the sequence runs; the answer leaves `value` ms later.  rpmbd BLOCKS
 *                  for that time (one host controller: no other client is served
 *                  meanwhile either, as a card stuck in a long busy would do);
 *   RESULT         not executed; every response frame answers result `value` with the
 *                  response type of its request, the device's counter (and address,
 *                  nonce, block count as the request gave) and a MAC when a key is
 *                  programmed — as the card answers a failed operation;
 *   CORRUPT        executed; byte `value` of the response data (the CMD18 frames, in
 *                  order) is XORed with `value2` (0 = 0xff).
 * How OP-TEE reacts (optee_os core/tee/tee_rpmb_fs.c: a failed write is resent with the
 * identical frames up to RPMB_MAX_RETRIES = 10 times, then the RPMB is "dead" until reboot):
 * a lost response after a commit turns every resend into COUNTER_FAILURE (scenario S2); ten
 * RESULT failures in a row make it dead (S3).  One table per process (rpmbd serves one device).
 */
#ifndef RPMBD_FAULT_PLAN_H
#define RPMBD_FAULT_PLAN_H

#include <stdbool.h>

#include "device.h"
#include "ipc.h"
#include "sequence.h"
#include "storage.h"

/* The store whose key MACs RESULT answers (borrowed; rpmbd's main sets it once). */
void rpmb_fault_set_store(struct rpmb_store *store);

/* EMU_MSG_CTRL_FAULT_REQ / _CLEAR_REQ: exactly one reply.  0 or the send error. */
__attribute__((warn_unused_result)) int rpmb_fault_handle(int fd, const struct emu_msg *msg);

/*
 * Count the sequence as an event, then run it on the device with the fault that fires (if
 * any) applied.  *ret_lost: the response must be replaced by EMU_MSG_ERROR -EIO.  Does not
 * return on POWER_CUT.  Returns rpmb_device_run()'s status.
 */
__attribute__((warn_unused_result)) int rpmb_fault_run(struct rpmb_device *dev,
						       struct rpmb_seq *seq, bool *ret_lost);

#endif
