/* SPDX-License-Identifier: MIT */
/* The kernel RPMB route over rpmbd devices (see krpmb.h). */
#include "krpmb.h"

#include <errno.h>
#include <glib.h>
#include <string.h>

#include "emu_ipc.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb.h"

struct krpmb {
	struct rpmb_mmc **devs;
	unsigned n;
	int selected; /* index of optee->rpmb_dev, -1 = none */
};

int krpmb_new(char *const *sockets, int timeout_ms, struct krpmb **ret_krpmb)
{
	if (!sockets || !sockets[0])
		return -EINVAL;
	g_autofree struct rpmb_mmc **devs = NULL;
	unsigned n = g_strv_length((gchar **)sockets);
	devs = g_new0(struct rpmb_mmc *, n);
	for (unsigned i = 0; i < n; i++) {
		int r = rpmb_mmc_new(sockets[i], timeout_ms, &devs[i]);
		if (r < 0) {
			for (unsigned j = 0; j < i; j++)
				rpmb_mmc_free(devs[j]);
			return r;
		}
	}
	struct krpmb *k = g_new0(struct krpmb, 1);
	k->devs = g_steal_pointer(&devs);
	k->n = n;
	k->selected = -1;
	*ret_krpmb = k;
	return 0;
}

void krpmb_free(struct krpmb *k)
{
	if (!k)
		return;
	for (unsigned i = 0; i < k->n; i++)
		rpmb_mmc_free(k->devs[i]);
	g_free(k->devs);
	g_free(k);
}

/* handle_rpc_func_rpmb_probe_reset(): buffers of SHM type KERNEL, selection dropped. */
static uint32_t probe_reset(struct krpmb *k, size_t in_len, void *out, size_t out_len)
{
	struct emu_supp_rpc_value v = { .a = OPTEE_RPC_SHM_TYPE_KERNEL };

	if (in_len != 0 || out_len != sizeof(v))
		return TEE_ERROR_BAD_PARAMETERS;
	memcpy(out, &v, sizeof(v));
	k->selected = -1;
	return TEE_SUCCESS;
}

/*
 * handle_rpc_func_rpmb_probe_next(): rpmb_dev_find_device() from the selected one; the
 * device found becomes the selected one (none found: none selected, ITEM_NOT_FOUND).  The
 * device info comes from the device itself (the kernel's rpmb_dev descr: dev_id = CID,
 * capacity, reliable_wr_count); here through the same EMU_MSG_MMC_INFO_REQ that
 * GET_DEV_INFO uses.
 */
static uint32_t probe_next(struct krpmb *k, size_t in_len, void *out, size_t out_len)
{
	struct emu_supp_rpc_value v = { .a = OPTEE_RPC_RPMB_EMMC };
	struct rpmb_dev_info info;
	struct rpmb_req get_info = { .cmd = RPMB_CMD_GET_DEV_INFO };

	if (in_len != 0 || out_len < sizeof(v))
		return TEE_ERROR_BAD_PARAMETERS;
	if (out_len < sizeof(v) + sizeof(info.cid))
		return TEE_ERROR_SHORT_BUFFER;
	for (;;) {
		unsigned next = k->selected < 0 ? 0 : (unsigned)k->selected + 1;
		if (next >= k->n) {
			k->selected = -1;
			return TEE_ERROR_ITEM_NOT_FOUND;
		}
		k->selected = (int)next;
		uint32_t ret = rpmb_process_request(k->devs[next], &get_info, RPMB_REQ_HEADER_SIZE,
						    &info, sizeof(info));
		if (ret == TEE_SUCCESS && info.ret_code == RPMB_CMD_GET_DEV_INFO_RET_OK)
			break;
		/* a device that cannot say what it is is not a registered rpmb device */
		g_info("RPMB device %u does not answer its info; skipped", next);
	}
	v.b = info.rpmb_size_mult;
	v.c = info.rel_wr_sec_c;
	memset(out, 0, out_len);
	memcpy(out, &v, sizeof(v));
	memcpy((uint8_t *)out + sizeof(v), info.cid, sizeof(info.cid));
	g_debug("PROBE_NEXT: device %d selected", k->selected);
	return TEE_SUCCESS;
}

/*
 * handle_rpc_func_rpmb_frames(): rpmb_route_frames() on the selected device, which for
 * eMMC issues the write (+ result read) + read sequence tee-supplicant issues for a
 * DATA_REQ -- so the same relay serves it, without the legacy header.
 */
static uint32_t frames(struct krpmb *k, const void *in, size_t in_len, void *out, size_t out_len)
{
	if (k->selected < 0)
		return TEE_ERROR_ITEM_NOT_FOUND;
	if (in_len == 0 || in_len > EMU_MSG_MAX_PAYLOAD)
		return TEE_ERROR_BAD_PARAMETERS;
	g_autofree uint8_t *req = g_malloc(RPMB_REQ_HEADER_SIZE + in_len);
	struct rpmb_req hdr = { .cmd = RPMB_CMD_DATA_REQ };
	memcpy(req, &hdr, RPMB_REQ_HEADER_SIZE);
	memcpy(req + RPMB_REQ_HEADER_SIZE, in, in_len);
	uint32_t ret = rpmb_process_request(k->devs[k->selected], req, RPMB_REQ_HEADER_SIZE + in_len,
					    out, out_len);
	return ret == TEE_SUCCESS ? TEE_SUCCESS : TEE_ERROR_BAD_PARAMETERS; /* any error */
}

uint32_t krpmb_process(struct krpmb *k, uint32_t cmd, const void *in, size_t in_len, void *out,
		       size_t out_len)
{
	switch (cmd) {
	case OPTEE_RPC_CMD_RPMB_PROBE_RESET:
		return probe_reset(k, in_len, out, out_len);
	case OPTEE_RPC_CMD_RPMB_PROBE_NEXT:
		return probe_next(k, in_len, out, out_len);
	case OPTEE_RPC_CMD_RPMB_FRAMES:
		return frames(k, in, in_len, out, out_len);
	default:
		return TEE_ERROR_NOT_SUPPORTED;
	}
}
