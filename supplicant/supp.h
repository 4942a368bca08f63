/* SPDX-License-Identifier: MIT */
/*
 * The supplicant's side of the tee socket: register with stmmd, then answer each
 * EMU_MSG_SUPP_RPC_REQ exactly once (tee-supplicant's process_one_request()).
 */
#ifndef STMM_EMU_SUPPLICANT_SUPP_H
#define STMM_EMU_SUPPLICANT_SUPP_H

#include <glib.h>

#include "krpmb.h"
#include "rpmb.h"

struct supp;

/* Connect to stmmd and register as its supplicant.  0 or -errno (-EBUSY: another one is). */
__attribute__((warn_unused_result)) int supp_connect(const char *tee_socket,
						     struct rpmb_mmc *mmc, struct supp **ret_supp);
/*
 * Connect and register as the in-kernel RPMB handler instead (EMU_MSG_SUPP_REGISTER_RPMB_REQ):
 * 22/23/24 are served by `krpmb`, legacy RPC 1 answers NOT_SUPPORTED.  Same errors.
 */
__attribute__((warn_unused_result)) int supp_connect_rpmb_handler(const char *tee_socket,
								  struct krpmb *krpmb,
								  struct supp **ret_supp);
/* What PROBE_RESET/NEXT/FRAMES get when no krpmb serves them (default
 * TEE_ERROR_NOT_SUPPORTED, as tee-supplicant; U-Boot <= v2025.01: NOT_IMPLEMENTED). */
void supp_set_probe_answer(struct supp *supp, uint32_t teec);
void supp_free(struct supp *supp);
/*
 * Serve RPCs on the default main context until stmmd closes the connection (then `loop`
 * is quit and supp_lost() turns true).
 */
void supp_attach(struct supp *supp, GMainLoop *loop);
gboolean supp_lost(const struct supp *supp);

/*
 * For in-process drivers (tests/fuzz/fuzz_supp_msg.c): a supplicant over an fd already
 * registered (taken over; supp_free closes it), and the handling of one message stmmd sent
 * on it, as the RPC loop does (exactly one reply, except for an EMU_MSG_ERROR, which is
 * never answered, and a request a STALL/DROP fault takes).  0 or the send's -errno.
 * supp_stalled: a STALL fault fired (the loop reads nothing more).
 */
struct supp *supp_adopt(int fd, struct rpmb_mmc *mmc, struct krpmb *krpmb);
struct emu_msg;
__attribute__((warn_unused_result)) int supp_handle(struct supp *supp, const struct emu_msg *msg);
gboolean supp_stalled(const struct supp *supp);

#endif
