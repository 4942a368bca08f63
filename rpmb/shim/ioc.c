/* SPDX-License-Identifier: MIT */
#include "ioc.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "mmc_seq.h"
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

int ioc_build_seq(const struct mmc_ioc_cmd *cmds, size_t n, GByteArray **ret_req,
		  size_t *ret_read_len)
{
	uint64_t req_len = sizeof(struct emu_mmc_seq), read_len = 0;

	if (n == 0 || n > SHIM_MAX_IOC_CMDS)
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

	struct mmc_seq s;
	mmc_seq_init(&s, (size_t)req_len);
	for (size_t i = 0; i < n; i++) {
		const struct mmc_ioc_cmd *c = &cmds[i];
		mmc_seq_xfer(&s, c->opcode, c->arg, c->blocks,
			     ((uint32_t)c->write_flag & MMC_CMD23_RELIABLE_WRITE) != 0, data_of(c));
	}
	g_assert(s.buf->len == req_len);
	*ret_req = mmc_seq_finish(&s);
	*ret_read_len = (size_t)read_len;
	return 0;
}

int ioc_scatter(struct mmc_ioc_cmd *cmds, size_t n, const uint8_t *rsp, size_t rsp_len)
{
	uint64_t want = 0;
	const uint8_t *p;

	for (size_t i = 0; i < n; i++)
		if (cmds[i].opcode == MMC_READ_MULTIPLE_BLOCK)
			want += bytes_of(&cmds[i]);
	if (want > EMU_MSG_MAX_PAYLOAD || mmc_seq_rsp_data(rsp, rsp_len, (size_t)want, &p) < 0)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		struct mmc_ioc_cmd *c = &cmds[i];
		if (c->opcode == MMC_READ_MULTIPLE_BLOCK) {
			memcpy(data_of(c), p, (size_t)bytes_of(c));
			p += bytes_of(c);
		}
		memset(c->response, 0, sizeof(c->response));
		c->response[0] = SHIM_R1_TRAN_READY;
	}
	return 0;
}

const char *ioc_describe(const struct mmc_ioc_cmd *cmds, size_t n, int peek, char *buf,
			     size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		const struct mmc_ioc_cmd *c = &cmds[i];
		const uint8_t *last = NULL;
		uint32_t sbc = c->blocks | ((uint32_t)c->write_flag & MMC_CMD23_RELIABLE_WRITE);
		int w;

		if (peek == IOC_PEEK_ALL ||
		    (peek == IOC_PEEK_WRITES && c->opcode == MMC_WRITE_MULTIPLE_BLOCK))
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
