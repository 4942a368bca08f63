/* SPDX-License-Identifier: MIT */
#include "sequence.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

static int fail(char **ret_error, int r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*ret_error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return r;
}

int rpmb_seq_parse(const uint8_t *payload, size_t len, struct rpmb_seq *ret_seq,
		   char **ret_error)
{
	struct rpmb_seq seq = { 0 };
	struct emu_mmc_seq hdr;
	size_t off = sizeof(hdr);
	bool have_count = false;
	uint32_t count = 0;
	bool reliable = false;

	if (len < sizeof(hdr))
		return fail(ret_error, -EINVAL, "sequence shorter than its %zu-byte header",
			    sizeof(hdr));
	memcpy(&hdr, payload, sizeof(hdr));
	if (hdr.num_cmds == 0 || hdr.num_cmds > EMU_MMC_MAX_CMDS)
		return fail(ret_error, -EINVAL, "num_cmds %u not in 1..%u", hdr.num_cmds,
			    EMU_MMC_MAX_CMDS);
	if (hdr.reserved != 0)
		return fail(ret_error, -EINVAL, "sequence header reserved field is not zero");

	for (uint32_t i = 0; i < hdr.num_cmds; i++) {
		struct emu_mmc_cmd c;
		if (len - off < sizeof(c))
			return fail(ret_error, -EINVAL, "command %u: truncated", i);
		memcpy(&c, payload + off, sizeof(c));
		off += sizeof(c);
		if (c.reserved != 0)
			return fail(ret_error, -EINVAL, "command %u: reserved field is not zero", i);

		switch (c.opcode) {
		case MMC_SET_BLOCK_COUNT:
			if (have_count)
				return fail(ret_error, -EINVAL,
					    "command %u: CMD23 follows a CMD23 without data command", i);
			if (c.blocks != 0)
				return fail(ret_error, -EINVAL, "command %u: CMD23 carries no data", i);
			if (c.arg & ~(MMC_CMD23_RELIABLE_WRITE | MMC_CMD23_COUNT_MASK))
				return fail(ret_error, -EINVAL,
					    "command %u: CMD23 argument 0x%08x has unsupported bits", i,
					    c.arg);
			count = c.arg & MMC_CMD23_COUNT_MASK;
			reliable = (c.arg & MMC_CMD23_RELIABLE_WRITE) != 0;
			if (count == 0)
				return fail(ret_error, -EINVAL, "command %u: CMD23 block count 0", i);
			have_count = true;
			break;
		case MMC_WRITE_MULTIPLE_BLOCK:
		case MMC_READ_MULTIPLE_BLOCK: {
			bool write = c.opcode == MMC_WRITE_MULTIPLE_BLOCK;
			if (!have_count || c.blocks != count)
				return fail(ret_error, -EINVAL,
					    "command %u: frame count not matching the command (CMD%u of %u "
					    "blocks after %s)",
					    i, c.opcode, c.blocks,
					    have_count ? "a CMD23 of another count" : "no CMD23");
			struct rpmb_xfer *x = &seq.xfers[seq.n_xfers++];
			x->write = write;
			x->reliable = reliable;
			x->blocks = (uint16_t)count;
			if (write) {
				size_t bytes = (size_t)count * RPMB_FRAME_SIZE;
				if (len - off < bytes)
					return fail(ret_error, -EINVAL,
						    "command %u: CMD25 of %u frames but only %zu data bytes",
						    i, count, len - off);
				x->in = (const struct rpmb_frame *)(payload + off);
				off += bytes;
			} else {
				seq.out_frames += count;
				if (sizeof(struct emu_mmc_seq_rsp) + seq.out_frames * RPMB_FRAME_SIZE >
				    EMU_MSG_MAX_PAYLOAD)
					return fail(ret_error, -EMSGSIZE,
						    "command %u: %zu frames to read do not fit one reply",
						    i, seq.out_frames);
			}
			have_count = false;
			break;
		}
		default:
			return fail(ret_error, -EINVAL, "command %u: opcode %u not supported", i,
				    c.opcode);
		}
	}
	if (have_count)
		return fail(ret_error, -EINVAL, "sequence ends with a CMD23 without data command");
	if (off != len)
		return fail(ret_error, -EINVAL, "%zu bytes after the last command", len - off);

	if (seq.out_frames) {
		seq.out = g_new0(struct rpmb_frame, seq.out_frames);
		size_t at = 0;
		for (size_t i = 0; i < seq.n_xfers; i++) {
			if (seq.xfers[i].write)
				continue;
			seq.xfers[i].out = seq.out + at;
			at += seq.xfers[i].blocks;
		}
	}
	*ret_seq = seq;
	return 0;
}

void rpmb_seq_clear(struct rpmb_seq *seq)
{
	g_clear_pointer(&seq->out, g_free);
	seq->out_frames = 0;
	seq->n_xfers = 0;
}
