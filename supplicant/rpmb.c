/* SPDX-License-Identifier: MIT */
/* The supplicant's RPMB relay (see rpmb.h). */
#include "rpmb.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "ipc.h"
#include "mmc_seq.h"
#include "optee_rpmb.h"
#include "pta_stmm.h"
#include "rpmb_frame.h"

struct rpmb_mmc {
	char *path;
	int fd;         /* -1 while not connected */
	int timeout_ms;
	uint32_t next_id;
	int dev_id;     /* the first dev_id seen; -1 before ("only one MMC device") */
	bool no_multi_cmd; /* one EMU_MSG_MMC_CMD_REQ per data command */
};

int rpmb_mmc_new(const char *socket_path, int timeout_ms, struct rpmb_mmc **ret_mmc)
{
	if (!socket_path || timeout_ms <= 0)
		return -EINVAL;
	struct rpmb_mmc *mmc = g_new0(struct rpmb_mmc, 1);
	mmc->path = g_strdup(socket_path);
	mmc->fd = -1;
	mmc->timeout_ms = timeout_ms;
	mmc->next_id = 1;
	mmc->dev_id = -1;
	*ret_mmc = mmc;
	return 0;
}

void rpmb_mmc_set_no_multi_cmd(struct rpmb_mmc *mmc, bool on)
{
	mmc->no_multi_cmd = on;
}

static void mmc_disconnect(struct rpmb_mmc *mmc)
{
	if (mmc->fd >= 0)
		close(mmc->fd);
	mmc->fd = -1;
}

void rpmb_mmc_free(struct rpmb_mmc *mmc)
{
	if (!mmc)
		return;
	mmc_disconnect(mmc);
	g_free(mmc->path);
	g_free(mmc);
}

/* errno -> TEEC result: the one mapping for this direction (tee-supplicant: ioctl failure
 * is TEEC_ERROR_GENERIC). */
static uint32_t errno_to_teec(int r)
{
	switch (r) {
	case 0:
		return TEE_SUCCESS;
	case -EINVAL:
		return TEE_ERROR_BAD_PARAMETERS;
	case -ENOMEM:
		return TEE_ERROR_OUT_OF_MEMORY;
	default:
		return TEE_ERROR_GENERIC;
	}
}

/*
 * Send one request to rpmbd and wait for its reply.  A request that could not be sent
 * (rpmbd restarted since the last call) is sent again once on a fresh connection; one
 * that was sent is never repeated, since the device may have executed it.
 */
static int mmc_call(struct rpmb_mmc *mmc, uint16_t type, const void *payload, size_t len,
		    uint16_t want_type, struct emu_msg **ret_reply)
{
	struct iovec v = { .iov_base = (void *)payload, .iov_len = len };
	g_autofree char *text = NULL;
	int r = -ENOTCONN;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (mmc->fd < 0) {
			r = emu_ipc_connect(mmc->path, &mmc->fd);
			if (r < 0) {
				g_debug("connect to rpmbd at %s: %s", mmc->path, g_strerror(-r));
				return r;
			}
		}
		r = emu_ipc_call(mmc->fd, &mmc->next_id, mmc->timeout_ms, type, &v, len ? 1 : 0, -1,
				 want_type, ret_reply, &text);
		if (r == 0 || text)
			break;
		mmc_disconnect(mmc); /* the link is broken or out of step: start afresh */
		if (!emu_ipc_not_sent(r))
			break;
	}
	if (text)
		g_debug("rpmbd refused request: %s", text);
	return r;
}

static uint32_t get_dev_info(struct rpmb_mmc *mmc, void *rsp, size_t rsp_size)
{
	struct rpmb_dev_info info = { .ret_code = RPMB_CMD_GET_DEV_INFO_RET_ERROR };
	struct emu_mmc_info mi;
	g_autoptr(emu_msg) reply = NULL;

	int r = mmc_call(mmc, EMU_MSG_MMC_INFO_REQ, NULL, 0, EMU_MSG_MMC_INFO_RSP, &reply);
	if (r == 0 && reply->hdr.length != sizeof(mi))
		r = -EPROTO;
	if (r < 0) {
		memcpy(rsp, &info, rsp_size);
		return errno_to_teec(r == -EINVAL ? -EIO : r);
	}
	memcpy(&mi, reply->payload, sizeof(mi));
	memcpy(info.cid, mi.cid, sizeof(info.cid));
	info.rpmb_size_mult = mi.rpmb_size_mult;
	info.rel_wr_sec_c = mi.rel_wr_sec_c;
	info.ret_code = RPMB_CMD_GET_DEV_INFO_RET_OK;
	memcpy(rsp, &info, rsp_size);
	return TEE_SUCCESS;
}

static int mmc_call(struct rpmb_mmc *mmc, uint16_t type, const void *payload, size_t len,
		    uint16_t want_type, struct emu_msg **ret_reply);

/*
 * A built sequence sent the pre-MMC_IOC_MULTI_CMD way: each CMD23 + data command pair as
 * one EMU_MSG_MMC_CMD_REQ (the kernel's implicit CMD23: reliable bit in arg), RPMB
 * selected by the kernel first.  The CMD18 data lands in rsp (rsp_len bytes in all).
 */
static int send_as_single_commands(struct rpmb_mmc *mmc, const GByteArray *seq, uint8_t *rsp,
				   size_t rsp_len)
{
	size_t off = sizeof(struct emu_mmc_seq), got = 0;
	uint32_t sbc = 0;

	while (off + sizeof(struct emu_mmc_cmd) <= seq->len) {
		struct emu_mmc_cmd c;
		memcpy(&c, seq->data + off, sizeof(c));
		off += sizeof(c);
		if (c.opcode == MMC_SET_BLOCK_COUNT) {
			sbc = c.arg;
			continue;
		}
		struct emu_mmc_single one = {
			.opcode = c.opcode, .arg = sbc & MMC_CMD23_RELIABLE_WRITE,
			.blocks = c.blocks, .part = EMU_MMC_PART_RPMB,
		};
		size_t dlen = c.opcode == MMC_WRITE_MULTIPLE_BLOCK ? (size_t)c.blocks * RPMB_FRAME_SIZE : 0;
		if (off + dlen > seq->len)
			return -EINVAL;
		g_autoptr(GByteArray) msg = g_byte_array_sized_new((guint)(sizeof(one) + dlen));
		g_byte_array_append(msg, (const guint8 *)&one, sizeof(one));
		g_byte_array_append(msg, seq->data + off, (guint)dlen);
		off += dlen;
		g_autoptr(emu_msg) reply = NULL;
		int r = mmc_call(mmc, EMU_MSG_MMC_CMD_REQ, msg->data, msg->len, EMU_MSG_MMC_CMD_RSP,
				 &reply);
		if (r < 0)
			return r;
		struct emu_mmc_single_rsp sr;
		if (reply->hdr.length < sizeof(sr))
			return -EBADMSG;
		memcpy(&sr, reply->payload, sizeof(sr));
		if (sr.data_len != reply->hdr.length - sizeof(sr))
			return -EBADMSG;
		if (sr.status != 0)
			return -EIO; /* the ioctl fails with the card status error */
		if (c.opcode == MMC_READ_MULTIPLE_BLOCK) {
			if (sr.data_len != (size_t)c.blocks * RPMB_FRAME_SIZE || got + sr.data_len > rsp_len)
				return -EBADMSG;
			memcpy(rsp + got, reply->payload + sizeof(sr), sr.data_len);
			got += sr.data_len;
		}
	}
	return got == rsp_len ? 0 : -EBADMSG;
}

static uint32_t data_req(struct rpmb_mmc *mmc, const uint8_t *frames, size_t req_nfrm,
			 uint8_t *rsp, size_t rsp_nfrm)
{
	/* Before any `goto bad`: jumping past an autoptr's initialiser frees stack garbage. */
	g_autoptr(emu_msg) reply = NULL;
	g_autoptr(GByteArray) payload = NULL;
	uint16_t type = get_be16(frames + offsetof(struct rpmb_frame, req_resp));
	for (size_t i = 1; i < req_nfrm; i++)
		if (get_be16(frames + i * RPMB_FRAME_SIZE + offsetof(struct rpmb_frame, req_resp)) != type)
			return TEE_ERROR_BAD_PARAMETERS; /* all request frames shall be of the same type */

	struct mmc_seq s;
	mmc_seq_init(&s, 0);
	switch (type) {
	case RPMB_REQ_PROGRAM_KEY:
	case RPMB_REQ_DATA_WRITE: {
		if (rsp_nfrm != 1)
			goto bad;
		struct rpmb_frame result_read = { 0 };
		put_be16(result_read.req_resp, RPMB_REQ_RESULT_READ);
		mmc_seq_write(&s, frames, (uint32_t)req_nfrm, true);
		mmc_seq_write(&s, &result_read, 1, false);
		mmc_seq_read(&s, 1);
		break;
	}
	case RPMB_REQ_WRITE_COUNTER:
		if (rsp_nfrm != 1)
			goto bad;
		/* fall through */
	case RPMB_REQ_DATA_READ:
		if (req_nfrm != 1)
			goto bad;
		mmc_seq_write(&s, frames, 1, false);
		mmc_seq_read(&s, (uint32_t)rsp_nfrm);
		break;
	default:
		goto bad;
	}
	payload = mmc_seq_finish(&s);

	if (mmc->no_multi_cmd) {
		int r = send_as_single_commands(mmc, payload, rsp, rsp_nfrm * RPMB_FRAME_SIZE);
		if (r < 0) {
			g_info("RPMB commands (request type 0x%04x) failed: %s", type, g_strerror(-r));
			return TEE_ERROR_GENERIC;
		}
		return TEE_SUCCESS;
	}
	int r = mmc_call(mmc, EMU_MSG_MMC_SEQ_REQ, payload->data, payload->len, EMU_MSG_MMC_SEQ_RSP,
			 &reply);
	if (r < 0) {
		g_info("RPMB sequence (request type 0x%04x) failed: %s", type, g_strerror(-r));
		return TEE_ERROR_GENERIC;
	}
	const uint8_t *data;
	if (mmc_seq_rsp_data(reply->payload, reply->hdr.length, rsp_nfrm * RPMB_FRAME_SIZE,
			     &data) < 0)
		return TEE_ERROR_GENERIC;
	memcpy(rsp, data, rsp_nfrm * RPMB_FRAME_SIZE);
	return TEE_SUCCESS;
bad:
	mmc_seq_clear(&s);
	return TEE_ERROR_BAD_PARAMETERS;
}

uint32_t rpmb_process_request(struct rpmb_mmc *mmc, const void *req, size_t req_size, void *rsp,
			      size_t rsp_size)
{
	struct rpmb_req hdr;

	if (req_size < RPMB_REQ_HEADER_SIZE)
		return TEE_ERROR_BAD_PARAMETERS;
	memcpy(&hdr, req, RPMB_REQ_HEADER_SIZE);
	if (mmc->dev_id >= 0 && hdr.dev_id != mmc->dev_id)
		return TEE_ERROR_BAD_PARAMETERS; /* only one MMC device is supported */
	mmc->dev_id = hdr.dev_id;

	switch (hdr.cmd) {
	case RPMB_CMD_GET_DEV_INFO:
		if (req_size != RPMB_REQ_HEADER_SIZE || rsp_size != sizeof(struct rpmb_dev_info))
			return TEE_ERROR_BAD_PARAMETERS;
		return get_dev_info(mmc, rsp, rsp_size);
	case RPMB_CMD_DATA_REQ: {
		size_t frames_len = req_size - RPMB_REQ_HEADER_SIZE;
		size_t req_nfrm = frames_len / RPMB_FRAME_SIZE, rsp_nfrm = rsp_size / RPMB_FRAME_SIZE;
		if (req_nfrm == 0 || frames_len % RPMB_FRAME_SIZE || rsp_nfrm == 0 ||
		    rsp_size % RPMB_FRAME_SIZE || req_nfrm > MMC_CMD23_COUNT_MASK ||
		    rsp_nfrm > MMC_CMD23_COUNT_MASK)
			return TEE_ERROR_BAD_PARAMETERS;
		return data_req(mmc, (const uint8_t *)req + RPMB_REQ_HEADER_SIZE, req_nfrm, rsp, rsp_nfrm);
	}
	default:
		return TEE_ERROR_BAD_PARAMETERS;
	}
}
