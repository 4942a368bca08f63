/* SPDX-License-Identifier: MIT */
/*
 * stmmd's run-time faults (include/emu_ipc.h, EMU_MSG_CTRL_FAULT_*; `stmm-emu fault
 * stmmd`), armed on the tee socket.  The event is an invoke of PTA_STMM_CMD_COMMUNICATE
 * that passed the core's checks (one MM call), counted before StMM runs:
 *   STMM_CRASH      the secure world dies: one log line, then _exit(STMMD_EXIT_CRASH);
 *                   every client and the supplicant see the tee socket close;
 *   STMM_TEE_ERROR  the invoke answers TEE result `value` with origin TEE_ORIGIN_TEE and
 *                   StMM does not run.
 * One table per process, used from the main loop thread only.
 */
#ifndef STMMD_OPTEE_FAULT_H
#define STMMD_OPTEE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "ipc.h"

/* Exit status of an stmmd whose secure world "crashed" (sysexits EX_OSERR). */
#define STMMD_EXIT_CRASH 71

/* EMU_MSG_CTRL_FAULT_REQ / _CLEAR_REQ: exactly one reply.  0 or the send error. */
__attribute__((warn_unused_result)) int stmm_fault_handle(int fd, const struct emu_msg *msg);

/*
 * One MM call is about to be queued.  true when a fault answers it instead (*ret_ret and
 * *ret_origin set); does not return on STMM_CRASH.
 */
bool stmm_fault_mm_call(uint32_t *ret_ret, uint32_t *ret_origin);

#endif
