/* SPDX-License-Identifier: MIT */
/*
 * RPC from the secure world to the registered supplicant (OP-TEE's thread_rpc_cmd towards
 * tee-supplicant; research/rpmb-and-supplicant.md §2.4, §2.7).
 *
 * Two sides, two threads:
 *  - the main thread (owner of every socket) attaches/detaches the supplicant's connection;
 *    it polls that connection only while no job runs on the worker (tee.c pauses its watch
 *    for the duration of each job), and there it drops late replies (rpc_handle_reply_from);
 *  - the StMM worker thread calls rpc_call(), which sends the request itself (under the
 *    lock the main thread detaches under, so the fd is open) and reads the reply itself
 *    from the same connection: no hop through the main thread.  It waits in poll() on that
 *    fd and on a wake-up eventfd, which rpc_detach_supplicant() and rpc_shutdown() use,
 *    until the reply arrives, the supplicant goes away (its hang-up, read by the worker, or
 *    a detach), or the timeout expires.  Whatever else it reads on the connection -- another
 *    message, a malformed one, the hang-up -- goes to the main thread through the forward
 *    callback (rpc_set_forward), as if the main loop had received it.
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

/*
 * What the worker read from the connection `fd` while waiting for its reply and that is
 * not that reply (a late or foreign reply is dropped, as the main thread drops it).  Called
 * on the worker thread, without the rpc lock, while fd is still open and attached:
 *   r == 0         `msg` (owned by the callee) is a message for the main thread's dispatch;
 *   r == -EBADMSG  a malformed datagram (msg NULL);
 *   other r < 0    fd hung up (msg NULL): the worker has already detached it from both
 *                  roles (`was_supplicant`: it had the supplicant's); the main thread
 *                  closes the connection.
 * The callee must not call back into rpc or block on the main thread.
 */
typedef void (*rpc_forward_fn)(void *ctx, int fd, int r, struct emu_msg *msg,
			       bool was_supplicant);
void rpc_set_forward(struct rpc *rpc, rpc_forward_fn fn, void *ctx);

/* ---- main thread ---- */
/* Make `fd` the supplicant's connection.  -EBUSY if one is attached. */
__attribute__((warn_unused_result)) int rpc_attach_supplicant(struct rpc *rpc, int fd);
/* The connection `fd` is going away: fail the outstanding call if any.  Returns once the
 * worker no longer polls or reads fd, so the caller may close it. */
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
