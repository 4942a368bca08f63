/* SPDX-License-Identifier: MIT */
/*
 * supplicantd's control socket (--control-socket; `stmm-emu up` passes
 * <state>/supplicant.sock): run-time faults (include/emu_ipc.h, EMU_MSG_CTRL_FAULT_*,
 * trigger EMU_FAULT_AT_RPC), served from the main loop beside the RPC loop.  The event is
 * one RPC request from stmmd whose header parsed, matched on its OPTEE_RPC_CMD_*:
 *   SUPP_EXIT   log, then exit(1) before answering (stmmd loses its supplicant mid-RPC);
 *   SUPP_STALL  stop reading and answering anything from then on, stay connected;
 *   SUPP_DROP   take this request and never answer it; serve the next ones;
 *   SUPP_ERROR  answer TEEC result `value` (no output) without touching the device.
 */
#ifndef STMM_EMU_SUPPLICANT_CONTROL_H
#define STMM_EMU_SUPPLICANT_CONTROL_H

#include <glib.h>
#include <stdint.h>

struct supp_control;
typedef struct supp_control SuppControl;

/* Listen on `path` (replaced if present) on the default main context.  0 or -errno. */
__attribute__((warn_unused_result)) int supp_control_new(const char *path,
							 struct supp_control **ret);
/* Close every client and the socket, and remove the socket file. */
void supp_control_free(struct supp_control *ctl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SuppControl, supp_control_free)

enum supp_fault {
	SUPP_FAULT_NONE,
	SUPP_FAULT_STALL,
	SUPP_FAULT_DROP,
	SUPP_FAULT_ERROR, /* *ret_teec set */
};

/* One message received on the control socket (the reader's dispatch, callable in process
 * by tests/fuzz/fuzz_supp_msg.c): exactly one reply on fd.  0 or the send's -errno. */
struct emu_msg;
__attribute__((warn_unused_result)) int supp_control_handle(int fd, const struct emu_msg *msg);

/* One RPC of kind `rpc_cmd` arrived: the fault to apply.  Does not return on SUPP_EXIT. */
enum supp_fault supp_control_rpc_event(uint32_t rpc_cmd, uint32_t *ret_teec);

#endif
