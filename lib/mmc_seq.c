/* SPDX-License-Identifier: MIT */
#include "mmc_seq.h"

#include <errno.h>
#include <string.h>

void mmc_seq_init(struct mmc_seq *s, size_t size_hint)
{
	struct emu_mmc_seq hdr = { 0 };

	s->buf = g_byte_array_sized_new((guint)MAX(size_hint, sizeof(hdr)));
	s->num_cmds = 0;
	g_byte_array_append(s->buf, (const guint8 *)&hdr, sizeof(hdr));
}

void mmc_seq_clear(struct mmc_seq *s)
{
	if (s->buf)
		g_byte_array_unref(s->buf);
	s->buf = NULL;
	s->num_cmds = 0;
}

void mmc_seq_add(struct mmc_seq *s, const struct emu_mmc_cmd *cmd, const void *data,
		 size_t data_len)
{
	g_byte_array_append(s->buf, (const guint8 *)cmd, sizeof(*cmd));
	if (data && data_len)
		g_byte_array_append(s->buf, data, (guint)data_len);
	s->num_cmds++;
}

void mmc_seq_xfer(struct mmc_seq *s, uint32_t opcode, uint32_t arg, uint32_t blocks,
		  bool reliable, const void *frames)
{
	struct emu_mmc_cmd sbc = {
		.opcode = MMC_SET_BLOCK_COUNT,
		.arg = blocks | (reliable ? MMC_CMD23_RELIABLE_WRITE : 0),
	};
	struct emu_mmc_cmd dc = { .opcode = opcode, .arg = arg, .blocks = blocks };

	mmc_seq_add(s, &sbc, NULL, 0);
	mmc_seq_add(s, &dc, opcode == MMC_WRITE_MULTIPLE_BLOCK ? frames : NULL,
		    (size_t)blocks * RPMB_FRAME_SIZE);
}

void mmc_seq_write(struct mmc_seq *s, const void *frames, uint32_t n, bool reliable)
{
	mmc_seq_xfer(s, MMC_WRITE_MULTIPLE_BLOCK, 0, n, reliable, frames);
}

void mmc_seq_read(struct mmc_seq *s, uint32_t n)
{
	mmc_seq_xfer(s, MMC_READ_MULTIPLE_BLOCK, 0, n, false, NULL);
}

GByteArray *mmc_seq_finish(struct mmc_seq *s)
{
	struct emu_mmc_seq hdr = { .num_cmds = s->num_cmds };

	memcpy(s->buf->data, &hdr, sizeof(hdr));
	s->num_cmds = 0;
	return g_steal_pointer(&s->buf);
}

int mmc_seq_rsp_data(const uint8_t *payload, size_t len, size_t want_len,
		     const uint8_t **ret_data)
{
	struct emu_mmc_seq_rsp rsp;

	if (len < sizeof(rsp))
		return -EBADMSG;
	memcpy(&rsp, payload, sizeof(rsp));
	if (rsp.data_len != len - sizeof(rsp) || rsp.data_len != want_len)
		return -EBADMSG;
	*ret_data = payload + sizeof(rsp);
	return 0;
}
