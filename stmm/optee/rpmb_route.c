/* SPDX-License-Identifier: MIT */
/* The RPMB route: decision and stmmd's RPC transport (see rpmb_route.h). */
#include "rpmb_route.h"

#include <errno.h>
#include <string.h>

#include "emu_ipc.h"
#include "optee_rpmb.h"
#include "rpc.h"
#include "rpmb_client.h"

enum rpmb_route_decision rpmb_route_decide(int r, bool not_implemented_fatal)
{
	if (r == 0)
		return RPMB_ROUTE_USE_PROBE;
	if (r == -EOPNOTSUPP)
		return RPMB_ROUTE_FALL_BACK; /* TEE_ERROR_NOT_SUPPORTED */
	if (r == -ENOSYS)                    /* TEE_ERROR_NOT_IMPLEMENTED */
		return not_implemented_fatal ? RPMB_ROUTE_FATAL : RPMB_ROUTE_FALL_BACK;
	return RPMB_ROUTE_FATAL;
}

int rpmb_route_parse(const char *name, enum rpmb_route *ret)
{
	if (!name || !strcmp(name, "probe"))
		*ret = RPMB_ROUTE_PROBE;
	else if (!strcmp(name, "legacy"))
		*ret = RPMB_ROUTE_LEGACY;
	else
		return -EINVAL;
	return 0;
}

const char *rpmb_route_name(enum rpmb_route route)
{
	return route == RPMB_ROUTE_LEGACY ? "legacy" : "probe";
}

/* ---- over stmmd's RPC ------------------------------------------------------------------ */

static int legacy_call(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len)
{
	return rpc_call(ctx, OPTEE_RPC_CMD_RPMB, req, req_len, rsp, rsp_len);
}

/* optee_os rpmb_probe_reset(): one value[0] OUTPUT (a = SHM type for later buffers). */
static int rpc_probe_reset(void *ctx)
{
	struct emu_supp_rpc_value v;
	return rpc_call(ctx, OPTEE_RPC_CMD_RPMB_PROBE_RESET, NULL, 0, &v, sizeof(v));
}

/* optee_os rpmb_probe_next(): value[0] OUTPUT + memref[1] OUTPUT of the CID's size. */
static int rpc_probe_next(void *ctx, struct rpmb_route_dev *ret_dev)
{
	uint8_t out[EMU_SUPP_RPMB_PROBE_NEXT_OUT_LEN];
	struct emu_supp_rpc_value v;

	int r = rpc_call(ctx, OPTEE_RPC_CMD_RPMB_PROBE_NEXT, NULL, 0, out, sizeof(out));
	if (r < 0)
		return r;
	memcpy(&v, out, sizeof(v));
	/* The relay is a peer: values that do not fit the EXT_CSD bytes are its error. */
	if (v.a > UINT32_MAX || v.b > UINT8_MAX || v.c > UINT8_MAX)
		return -EPROTO;
	*ret_dev = (struct rpmb_route_dev){ .type = (uint32_t)v.a, .rpmb_size_mult = (uint8_t)v.b,
					    .rel_wr_sec_c = (uint8_t)v.c };
	memcpy(ret_dev->cid, out + sizeof(v), sizeof(ret_dev->cid));
	return 0;
}

static int rpc_frames(void *ctx, const void *req, size_t req_len, void *rsp, size_t rsp_len)
{
	return rpc_call(ctx, OPTEE_RPC_CMD_RPMB_FRAMES, req, req_len, rsp, rsp_len);
}

static const struct rpmb_route_ops rpc_route_ops = {
	.probe_reset = rpc_probe_reset,
	.probe_next = rpc_probe_next,
	.frames = rpc_frames,
};

void rpmb_route_rpc_transport(struct rpc *rpc, struct rpmb_client_transport *ret)
{
	*ret = (struct rpmb_client_transport){ .ctx = rpc, .call = legacy_call,
					       .route = &rpc_route_ops };
}
