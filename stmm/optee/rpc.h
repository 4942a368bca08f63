/* SPDX-License-Identifier: MIT */
/*
 * RPC from the secure world to the registered supplicant (OP-TEE's thread_rpc_cmd towards
 * tee-supplicant; research/rpmb-and-supplicant.md §2.4, §2.7).
 *
 * Two sides, two threads:
 *  - the main thread (owner of every socket) attaches/detaches the supplicant's connection
 *    and routes EMU_MSG_SUPP_RPC_RSP replies back by req_id;
 *  - the StMM worker thread calls rpc_call(), which sends the request itself (under the
 *    lock the main thread detaches under, so the fd is open) and blocks on a GCond until
 *    the reply arrives, the supplicant goes away, or the timeout expires.
 * One RPC is outstanding at a time (one StMM thread).  Before StMM has booted, a call
 * without a supplicant waits for one to register, bounded by the same timeout (the bound is
 * the emulator's, so that a missing supplicant turns into an error, not a hang); after that
 * it fails at once (rpc_set_supplicant_nowait).
 */
#ifndef STMM_EMU_STMM_RPC_H
#define STMM_EMU_STMM_RPC_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

struct rpc;

/* `main_ctx` is the context whose thread owns the sockets (kept for its lifetime). */
__attribute__((warn_unused_result)) int rpc_new(GMainContext *main_ctx, int timeout_ms,
						struct rpc **ret_rpc);
void rpc_free(struct rpc *rpc);

/* ---- main thread ---- */
/* Make `fd` the supplicant's connection.  -EBUSY if one is attached. */
__attribute__((warn_unused_result)) int rpc_attach_supplicant(struct rpc *rpc, int fd);
/* The connection `fd` is going away: fail the outstanding call if any. */
void rpc_detach_supplicant(struct rpc *rpc, int fd);
bool rpc_is_supplicant(struct rpc *rpc, int fd);
/*
 * Make `fd` the in-kernel RPMB handler (EMU_MSG_SUPP_REGISTER_RPMB_REQ): PROBE_RESET,
 * PROBE_NEXT and FRAMES go to it instead of the supplicant.  -EBUSY if one is attached or
 * `fd` is the supplicant.  rpc_detach_supplicant() detaches either role.
 */
__attribute__((warn_unused_result)) int rpc_attach_rpmb_handler(struct rpc *rpc, int fd);
bool rpc_is_rpmb_handler(struct rpc *rpc, int fd);
bool rpc_rpmb_handler_attached(struct rpc *rpc);
bool rpc_supplicant_attached(struct rpc *rpc);
/* An EMU_MSG_SUPP_RPC_RSP from the supplicant; a late or foreign reply is dropped.  0 or -errno. */
__attribute__((warn_unused_result)) int rpc_handle_reply(struct rpc *rpc,
							 const struct emu_msg *msg);
/* The same, accepted only from the connection `fd` the call was sent on (-1: any). */
__attribute__((warn_unused_result)) int rpc_handle_reply_from(struct rpc *rpc, int fd,
							      const struct emu_msg *msg);
/* Fail the outstanding call and every later one (shutdown). */
void rpc_shutdown(struct rpc *rpc);

/* ---- worker thread ---- */
/*
 * One RPC: `in` is memref[0], `out` receives exactly out_len bytes of memref[1].  The
 * supplicant's TEEC result is mapped by rpc_teec_to_errno().  -ETIMEDOUT when no reply
 * (or no supplicant) within the timeout, -ECONNRESET when the supplicant left mid-call.
 */
__attribute__((warn_unused_result)) int rpc_call(struct rpc *rpc, uint32_t cmd, const void *in,
						 size_t in_len, void *out, size_t out_len);

/*
 * Once StMM is up, its RPCs come from a kernel client (Linux tee_stmm_efi; ctx->supp_nowait):
 * with no supplicant registered a call fails at once with -ECOMM, as optee_supp_thrd_req()
 * answers TEEC_ERROR_COMMUNICATION, instead of waiting up to the timeout for one to register
 * (the bound stmmd keeps for the boot, which waits for the first supplicant).  Any thread.
 */
void rpc_set_supplicant_nowait(struct rpc *rpc, bool nowait);

/* Whether the supplicant answers: any thread. */
struct rpc_health {
	uint32_t pending_ms;  /* how long the call now outstanding has waited; 0 = none */
	gint64 fail_time;     /* g_get_real_time() of the last failed call; 0 = none */
	int fail_errno;       /* its -errno */
	gint64 ok_time;       /* g_get_real_time() of the last answered call; 0 = none */
};
void rpc_get_health(struct rpc *rpc, struct rpc_health *ret);

/* TEEC result of an RPC -> -errno (0 for TEE_SUCCESS). */
int rpc_teec_to_errno(uint32_t teec);

#endif
