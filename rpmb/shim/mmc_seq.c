/* SPDX-License-Identifier: MIT */
#include "mmc_seq.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "rpmb_frame.h"

static void *data_of(const struct mmc_ioc_cmd *c)
{
	return (void *)(uintptr_t)c->data_ptr;
}

static uint64_t bytes_of(const struct mmc_ioc_cmd *c)
{
	return (uint64_t)c->blocks * RPMB_FRAME_SIZE;
}

static int check_cmd(const struct mmc_ioc_cmd *c)
{
	if (c->opcode != MMC_WRITE_MULTIPLE_BLOCK && c->opcode != MMC_READ_MULTIPLE_BLOCK)
		return -EINVAL;
	if (c->is_acmd || c->blksz != RPMB_FRAME_SIZE)
		return -EINVAL;
	if (c->blocks == 0 || c->blocks > MMC_CMD23_COUNT_MASK)
		return -EINVAL;
	if (!c->data_ptr || (uint64_t)(uintptr_t)c->data_ptr != c->data_ptr)
		return -EFAULT;
	return 0;
}

int mmc_seq_build(const struct mmc_ioc_cmd *cmds, size_t n, uint8_t **ret_req,
		  size_t *ret_req_len, size_t *ret_read_len)
{
	uint64_t req_len = sizeof(struct emu_mmc_seq), read_len = 0;

	if (n == 0 || n > MMC_SEQ_MAX_IOC_CMDS)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int r = check_cmd(&cmds[i]);
		if (r < 0)
			return r;
		req_len += 2 * sizeof(struct emu_mmc_cmd);
		if (cmds[i].opcode == MMC_WRITE_MULTIPLE_BLOCK)
			req_len += bytes_of(&cmds[i]);
		else
			read_len += bytes_of(&cmds[i]);
	}
	/* At most 8 x 0xffff x 512 bytes: no overflow in 64 bits. */
	if (req_len > EMU_MSG_MAX_PAYLOAD ||
	    read_len > EMU_MSG_MAX_PAYLOAD - sizeof(struct emu_mmc_seq_rsp))
		return -EOVERFLOW;

	uint8_t *buf = g_try_malloc(req_len);
	if (!buf)
		return -ENOMEM;
	struct emu_mmc_seq seq = { .num_cmds = (uint32_t)(2 * n) };
	size_t off = 0;
	memcpy(buf, &seq, sizeof(seq));
	off += sizeof(seq);
	for (size_t i = 0; i < n; i++) {
		const struct mmc_ioc_cmd *c = &cmds[i];
		struct emu_mmc_cmd sbc = {
			.opcode = MMC_SET_BLOCK_COUNT,
			.arg = c->blocks | ((uint32_t)c->write_flag & MMC_CMD23_RELIABLE_WRITE),
		};
		struct emu_mmc_cmd dc = { .opcode = c->opcode, .arg = c->arg, .blocks = c->blocks };

		memcpy(buf + off, &sbc, sizeof(sbc));
		off += sizeof(sbc);
		memcpy(buf + off, &dc, sizeof(dc));
		off += sizeof(dc);
		if (c->opcode == MMC_WRITE_MULTIPLE_BLOCK) {
			memcpy(buf + off, data_of(c), (size_t)bytes_of(c));
			off += (size_t)bytes_of(c);
		}
	}
	g_assert(off == req_len);
	*ret_req = buf;
	*ret_req_len = (size_t)req_len;
	*ret_read_len = (size_t)read_len;
	return 0;
}

int mmc_seq_scatter(struct mmc_ioc_cmd *cmds, size_t n, const uint8_t *rsp, size_t rsp_len)
{
	struct emu_mmc_seq_rsp hdr;
	uint64_t want = 0;

	for (size_t i = 0; i < n; i++)
		if (cmds[i].opcode == MMC_READ_MULTIPLE_BLOCK)
			want += bytes_of(&cmds[i]);
	if (rsp_len < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, rsp, sizeof(hdr));
	if (hdr.data_len != want || rsp_len - sizeof(hdr) != want)
		return -EBADMSG;

	const uint8_t *p = rsp + sizeof(hdr);
	for (size_t i = 0; i < n; i++) {
		struct mmc_ioc_cmd *c = &cmds[i];
		if (c->opcode == MMC_READ_MULTIPLE_BLOCK) {
			memcpy(data_of(c), p, (size_t)bytes_of(c));
			p += bytes_of(c);
		}
		memset(c->response, 0, sizeof(c->response));
		c->response[0] = MMC_SEQ_R1_TRAN_READY;
	}
	return 0;
}

const char *mmc_seq_describe(const struct mmc_ioc_cmd *cmds, size_t n, int peek, char *buf,
			     size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		const struct mmc_ioc_cmd *c = &cmds[i];
		const uint8_t *last = NULL;
		uint32_t sbc = c->blocks | ((uint32_t)c->write_flag & MMC_CMD23_RELIABLE_WRITE);
		int w;

		if (peek == MMC_SEQ_PEEK_ALL ||
		    (peek == MMC_SEQ_PEEK_WRITES && c->opcode == MMC_WRITE_MULTIPLE_BLOCK))
			last = (const uint8_t *)data_of(c) + bytes_of(c) - RPMB_FRAME_SIZE;
		if (last)
			w = snprintf(buf + off, size - off,
				     "%sCMD23(0x%x) CMD%ux%u[0x%04x result 0x%04x]", i ? " " : "",
				     sbc, c->opcode, c->blocks,
				     get_be16(last + offsetof(struct rpmb_frame, req_resp)),
				     get_be16(last + offsetof(struct rpmb_frame, result)));
		else
			w = snprintf(buf + off, size - off, "%sCMD23(0x%x) CMD%ux%u", i ? " " : "",
				     sbc, c->opcode, c->blocks);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
