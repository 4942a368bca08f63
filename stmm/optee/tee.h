/* SPDX-License-Identifier: MIT */
/*
 * stmmd's tee core: what OP-TEE's core and the Linux TEE driver do for a normal-world
 * client of the StMM pseudo-TA.  Sessions (PTA_STMM only), shared memory registration
 * (memfd over SCM_RIGHTS), invoke of PTA_STMM_CMD_COMMUNICATE, the supplicant's
 * registration and RPC replies, and the control channel's status.
 *
 * Concurrency (the one design decision the rest depends on):
 *
 *   main thread  -- GMainLoop; owns every socket: accepts, receives, validates, replies.
 *                   Sessions, shm tables and connections are touched only here.
 *   StMM worker  -- one GThread = the secure partition.  It pops jobs (boot, invoke) from a
 *                   GAsyncQueue in order and runs them one at a time, as StMM has a single
 *                   execution context.  When the variable service writes or reads the store,
 *                   the RPMB client calls rpc_call(), which sends the request on the
 *                   supplicant's connection and reads the reply from it itself, until the
 *                   reply arrives, the supplicant disconnects, or --rpc-timeout expires
 *                   (rpc.h).  So that only one thread reads that connection, the main thread
 *                   stops polling the supplicant's (and the RPMB handler's) connection from
 *                   the first job it hands to the worker to the end of the last one; what
 *                   else the worker reads there comes back to it through a queue.
 *
 * One shortcut, for speed (issue 16): a read that StMM answers from memory alone
 * (GetVariable, GetNextVariableName, QueryVariableInfo, the property and payload-size
 * queries: tee_pta_ops.mm_call_is_local) runs on the main thread itself when StMM is booted
 * and idle -- no job queued or running, none outstanding on that connection -- so it costs
 * one receive and one send, no hand-off to the worker and back.  It cannot need an RPC, and
 * nothing else can run StMM meanwhile (only the main thread queues jobs), so the secure
 * partition still runs one call at a time, in order, with the same trace records.
 *
 * So while StMM waits for the supplicant, the main thread keeps serving everybody: other
 * clients open and close sessions, register memory, ask for status, a supplicant
 * registers.  Further invokes queue behind the running one (bounded per
 * connection: TEE_ERROR_BUSY beyond).  Results go back through an idle source on the main
 * context; a job holds a reference on its shared memory, so a client that unregisters or
 * disconnects mid-call cannot pull the mapping from under the worker (its reply is dropped).
 *
 * Status snapshots (`get_status`) are kept by the PTA under its own lock, so a status
 * request never waits for a call in progress.
 */
#ifndef STMM_EMU_STMM_TEE_H
#define STMM_EMU_STMM_TEE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_ipc.h"
#include "ffa_spmc.h"
#include "ipc.h"
#include "rpc.h"

/* The pseudo-TA behind PTA_STMM.  boot/communicate run on the worker; get_status anywhere. */
struct tee_pta_ops {
	void *ctx;
	int (*boot)(void *ctx); /* idempotent; 0 or -errno */
	int32_t (*communicate)(void *ctx, uint8_t *buf, size_t size); /* ARM_SPM_MM_RET_* */
	void (*get_status)(void *ctx, struct emu_ctrl_status *status); /* fills PTA fields */
	/* Optional, worker: the NV store as an FV image (EMU_MSG_CTRL_EXPORT_REQ).  0 or -errno;
	 * *ret_info gets total, generation and live_variables. */
	int (*export_fv)(void *ctx, const struct emu_ctrl_export_req *req, GBytes **ret_image,
			 struct emu_ctrl_export_rsp *ret_info);
	/* Optional, worker: platform reset (EMU_MSG_CTRL_RESET_REQ): StMM booted afresh from
	 * its NV store.  0 or -errno (then StMM counts as not booted). */
	int (*reset)(void *ctx);
	/* Optional, any thread while StMM is idle: true when the MM buffer (the private copy)
	 * asks for something StMM answers from memory alone, with no RPMB access and so no RPC
	 * to the supplicant; the core may then run `communicate` for it on the main thread. */
	bool (*mm_call_is_local)(void *ctx, const uint8_t *buf, size_t size);
};

struct tee_config {
	uint32_t ns_buf_size; /* largest memref PTA_STMM accepts (OP-TEE: 16 KiB) */
	enum ffa_sp_profile ffa_profile; /* what the MM SP behind FF-A is (ffa_spmc.h) */
};

struct tee_core;

__attribute__((warn_unused_result)) int tee_core_new(const struct tee_config *cfg,
						     const struct tee_pta_ops *pta, struct rpc *rpc,
						     GMainContext *main_ctx,
						     struct tee_core **ret_core);
/* Bind the tee socket and serve it on the main context.  0 or -errno. */
__attribute__((warn_unused_result)) int tee_core_listen(struct tee_core *core, const char *path);
/* Start the StMM worker.  0 or -errno. */
__attribute__((warn_unused_result)) int tee_core_start(struct tee_core *core);
/* Stop the worker (fails a call waiting for the supplicant) and close every connection. */
void tee_core_stop(struct tee_core *core);
void tee_core_free(struct tee_core *core);

/*
 * For in-process drivers (tests/fuzz/fuzz_stmmd_msg.c), without sockets to listen on or a
 * worker thread: tee_core_adopt takes a connected fd over as a connection that no main
 * loop watches (replies go to it); tee_core_dispatch hands it one received message, through
 * the same validation and handlers as the socket's reader (the connection is closed when it
 * returns a -errno; -ENOENT: no such connection); tee_core_run_jobs runs the queued jobs
 * (boot, invoke, export, reset) on the calling thread as the worker would, their replies
 * posted to the main context.  Returns the jobs run.
 */
uint32_t tee_core_adopt(struct tee_core *core, int fd);
__attribute__((warn_unused_result)) int tee_core_dispatch(struct tee_core *core, uint32_t conn_id,
							  struct emu_msg *msg);
unsigned tee_core_run_jobs(struct tee_core *core);

#endif
