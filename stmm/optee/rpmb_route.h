/* SPDX-License-Identifier: MIT */
/*
 * How the secure world reaches the RPMB device: the kernel route (OPTEE_RPC_CMD_RPMB_PROBE_RESET
 * 22, _PROBE_NEXT 23, _FRAMES 24; OP-TEE built with CFG_RPMB_ANNOUNCE_PROBE_CAP=y) or the
 * legacy supplicant route (OPTEE_RPC_CMD_RPMB 1: struct rpmb_req + frames).  Facts from
 * optee_os core/tee/tee_rpmb_fs.c tee_rpmb_init() / legacy_rpmb_init(), linux
 * drivers/tee/optee/rpc.c handle_rpc_func_rpmb_probe_reset/_probe_next/_frames, research
 * rpmb-and-supplicant.md §2.1, §2.6, §2.8; README "The kernel RPMB route".
 *
 * This file holds the route's types, the probe decision, and the RPC transport that stmmd
 * uses (both routes over struct rpc).  rpmb_client.c runs the probe itself, so that the
 * retries and the dead state stay one code path whichever route carries the frames.
 */
#ifndef STMM_EMU_STMM_RPMB_ROUTE_H
#define STMM_EMU_STMM_RPMB_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rpmb_route {
	RPMB_ROUTE_PROBE = 0, /* default: PROBE_RESET first, legacy on NOT_SUPPORTED/NOT_IMPLEMENTED */
	RPMB_ROUTE_LEGACY,    /* CFG_RPMB_ANNOUNCE_PROBE_CAP=n: only OPTEE_RPC_CMD_RPMB */
};

/* One device as PROBE_NEXT reports it (value[0] a/b/c, memref[1] the CID). */
struct rpmb_route_dev {
	uint32_t type;          /* OPTEE_RPC_RPMB_EMMC 0 / UFS 1 / NVME 2 */
	uint8_t rpmb_size_mult; /* EXT_CSD[168] */
	uint8_t rel_wr_sec_c;   /* EXT_CSD[222] */
	uint8_t cid[16];
};

/*
 * The kernel route's three RPCs, each 0 or -errno with the TEEC result mapped by
 * rpc_teec_to_errno(): NOT_SUPPORTED -EOPNOTSUPP, NOT_IMPLEMENTED -ENOSYS,
 * ITEM_NOT_FOUND -ENOENT, BAD_PARAMETERS -EINVAL.
 */
struct rpmb_route_ops {
	int (*probe_reset)(void *ctx);
	int (*probe_next)(void *ctx, struct rpmb_route_dev *ret_dev);
	/* raw request frames in (no struct rpmb_req), exactly rsp_len bytes of frames out */
	int (*frames)(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len);
};

/* What tee_rpmb_init() does with PROBE_RESET's result. */
enum rpmb_route_decision {
	RPMB_ROUTE_USE_PROBE,  /* success: enumerate with PROBE_NEXT, data as FRAMES */
	RPMB_ROUTE_FALL_BACK,  /* legacy_rpmb_init(): GET_DEV_INFO over OPTEE_RPC_CMD_RPMB */
	RPMB_ROUTE_FATAL,      /* init fails with that error */
};

/*
 * optee_os tee_rpmb_init(): NOT_SUPPORTED (tee-supplicant, Linux without in-kernel
 * routing) and, since optee_os 96e8f740b "core: rpmb: handle not-implemented error code on
 * device probing" (2025-01), NOT_IMPLEMENTED (U-Boot's supplicant up to v2025.01) fall
 * back; with `not_implemented_fatal` (OP-TEE before that commit) NOT_IMPLEMENTED is fatal;
 * any other error is fatal.
 */
enum rpmb_route_decision rpmb_route_decide(int probe_reset_result, bool not_implemented_fatal);

/* stmmd --quirk name of not_implemented_fatal. */
#define RPMB_QUIRK_PROBE_NOT_IMPL_FATAL "rpmb-probe-not-implemented-fatal"

/* "probe" / "legacy" -> enum.  0 or -EINVAL. */
__attribute__((warn_unused_result)) int rpmb_route_parse(const char *name, enum rpmb_route *ret);
const char *rpmb_route_name(enum rpmb_route route);

/* Devices a PROBE_NEXT loop looks at before giving up (a peer that never says ITEM_NOT_FOUND
 * must not hang the secure world; OP-TEE itself has no bound). */
#define RPMB_ROUTE_MAX_DEVICES 32u

struct rpc;
struct rpmb_client_transport;
/* Both routes over stmmd's RPC (rpc.h): legacy 1 to the supplicant, 22/23/24 to whoever
 * serves them (rpc.c routes them to an in-kernel handler when one is registered). */
void rpmb_route_rpc_transport(struct rpc *rpc, struct rpmb_client_transport *ret);

#endif
