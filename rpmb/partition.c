/* SPDX-License-Identifier: MIT */
#include "partition.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "debug_gate.h"
#include "bytes.h"
#include "sequence.h"

struct mmc_card {
	struct rpmb_device *dev;   /* borrowed */
	struct rpmb_userarea *ua;  /* borrowed */
	uint8_t part_config;       /* EXT_CSD[179] */
	bool have_sbc;             /* a CMD23 waits for its data command */
	uint32_t sbc;              /* its argument */
};

struct mmc_card *mmc_card_new(struct rpmb_device *dev, struct rpmb_userarea *ua)
{
	struct mmc_card *card = g_new0(struct mmc_card, 1);
	card->dev = dev;
	card->ua = ua;
	return card;
}

void mmc_card_free(struct mmc_card *card)
{
	g_free(card);
}

unsigned mmc_card_part(const struct mmc_card *card)
{
	return card->part_config & EXT_CSD_PART_CONFIG_ACC_MASK;
}

static int fail(char **ret_error, int r, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*ret_error = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return r;
}

int mmc_card_check(const struct emu_mmc_single *c, size_t data_len, char **ret_error)
{
	size_t want_data = 0;

	if (c->reserved != 0)
		return fail(ret_error, -EINVAL, "reserved field is not zero");
	if (c->flags & ~(EMU_MMC_CMD_AFTER_RPMB_REQ | EMU_MMC_CMD_AFTER_RPMB_WRITE))
		return fail(ret_error, -EINVAL, "unknown flags 0x%04x", c->flags);
	if (c->part != EMU_MMC_PART_USER && c->part != EMU_MMC_PART_RPMB &&
	    c->part != EMU_MMC_PART_KEEP)
		return fail(ret_error, -EINVAL, "partition %u is not 0 (user), 3 (RPMB) or 0xffff",
			    c->part);
	if (!(c->flags & EMU_MMC_CMD_AFTER_RPMB_REQ) && c->repeat != 0)
		return fail(ret_error, -EINVAL, "repeat without EMU_MMC_CMD_AFTER_RPMB_REQ");
	switch (c->opcode) {
	case MMC_SWITCH:
	case MMC_SET_BLOCK_COUNT:
		if (c->blocks != 0)
			return fail(ret_error, -EINVAL, "CMD%u carries no data", c->opcode);
		if (c->opcode == MMC_SET_BLOCK_COUNT &&
		    ((c->arg & ~(MMC_CMD23_RELIABLE_WRITE | MMC_CMD23_COUNT_MASK)) ||
		     (c->arg & MMC_CMD23_COUNT_MASK) == 0))
			return fail(ret_error, -EINVAL, "CMD23 argument 0x%08x: count 0 or unsupported bits",
				    c->arg);
		break;
	case MMC_READ_SINGLE_BLOCK:
	case MMC_WRITE_BLOCK:
		if (c->blocks != 1)
			return fail(ret_error, -EINVAL, "CMD%u moves one block, not %u", c->opcode,
				    c->blocks);
		break;
	case MMC_READ_MULTIPLE_BLOCK:
	case MMC_WRITE_MULTIPLE_BLOCK:
		if (c->blocks == 0 || c->blocks > MMC_CMD23_COUNT_MASK)
			return fail(ret_error, -EINVAL, "CMD%u of %u blocks (1..%u)", c->opcode,
				    c->blocks, MMC_CMD23_COUNT_MASK);
		break;
	default:
		return fail(ret_error, -EINVAL, "opcode %u not supported", c->opcode);
	}
	if (c->opcode == MMC_WRITE_BLOCK || c->opcode == MMC_WRITE_MULTIPLE_BLOCK)
		want_data = (size_t)c->blocks * RPMB_FRAME_SIZE;
	if (data_len != want_data)
		return fail(ret_error, -EINVAL, "CMD%u of %u blocks carries %zu data bytes, not %zu",
			    c->opcode, c->blocks, data_len, want_data);
	if (sizeof(struct emu_mmc_single_rsp) + (size_t)c->blocks * RPMB_FRAME_SIZE >
	    EMU_MSG_MAX_PAYLOAD)
		return fail(ret_error, -EMSGSIZE, "CMD%u of %u blocks does not fit one message",
			    c->opcode, c->blocks);
	return 0;
}

/* Select partition `access` (EXT_CSD[179] bits 2:0); the RPMB state does not survive it. */
static bool do_switch(struct mmc_card *card, unsigned access)
{
	bool lost = rpmb_device_interrupt(card->dev);
	card->part_config = (uint8_t)((card->part_config & ~EXT_CSD_PART_CONFIG_ACC_MASK) | access);
	card->have_sbc = false;
	emu_debug("card: partition %u selected%s", access,
		lost ? " (a prepared RPMB response was lost)" : "");
	return lost;
}

bool mmc_card_select(struct mmc_card *card, unsigned part)
{
	if (mmc_card_part(card) == part)
		return false;
	(void)do_switch(card, part);
	return true;
}

static void cmd_switch(struct mmc_card *card, uint32_t arg, struct mmc_card_result *res)
{
	unsigned access = (arg >> 24) & 0x3, index = (arg >> 16) & 0xff, value = (arg >> 8) & 0xff;
	unsigned part = value & EXT_CSD_PART_CONFIG_ACC_MASK;

	if (access != MMC_SWITCH_MODE_WRITE_BYTE || index != EXT_CSD_PART_CONFIG ||
	    (part != EMU_MMC_PART_USER && part != EMU_MMC_PART_RPMB)) {
		res->lost |= rpmb_device_interrupt(card->dev);
		res->status |= EMU_MMC_R1_SWITCH_ERROR;
		return;
	}
	res->lost |= do_switch(card, part);
	card->part_config = (uint8_t)value;
}

static int user_io(struct mmc_card *card, const struct emu_mmc_single *c, const uint8_t *data,
		   uint8_t *out, struct mmc_card_result *res)
{
	bool read = c->opcode == MMC_READ_SINGLE_BLOCK || c->opcode == MMC_READ_MULTIPLE_BLOCK;
	int r;

	res->lost |= rpmb_device_interrupt(card->dev);
	if (read) {
		memset(out, 0, (size_t)c->blocks * RPMB_USERAREA_BLOCK);
		res->data_len = c->blocks * RPMB_USERAREA_BLOCK;
		r = rpmb_userarea_read(card->ua, c->arg, c->blocks, out);
	} else {
		r = rpmb_userarea_write(card->ua, c->arg, c->blocks, data);
	}
	if (r == -ERANGE) {
		res->status |= EMU_MMC_R1_OUT_OF_RANGE;
		return 0;
	}
	if (r < 0)
		res->data_len = 0;
	return r;
}

static void rpmb_io(struct mmc_card *card, const struct emu_mmc_single *c, uint32_t sbc,
		    const uint8_t *data, uint8_t *out, struct mmc_card_result *res)
{
	struct rpmb_xfer x = {
		.write = c->opcode == MMC_WRITE_MULTIPLE_BLOCK,
		.reliable = (sbc & MMC_CMD23_RELIABLE_WRITE) != 0,
		.blocks = (uint16_t)c->blocks,
		.in = (const struct rpmb_frame *)data,
		.out = (struct rpmb_frame *)out,
	};

	if (c->opcode == MMC_WRITE_BLOCK || (sbc & MMC_CMD23_COUNT_MASK) != c->blocks) {
		/* RPMB takes only CMD23-counted CMD25/CMD18: nothing runs. */
		res->lost |= rpmb_device_interrupt(card->dev);
		res->status |= EMU_MMC_R1_ILLEGAL_COMMAND;
		return;
	}
	if (c->opcode == MMC_READ_SINGLE_BLOCK) {
		/* A host that forgot to switch back: a frame of nothing prepared. */
		res->lost |= rpmb_device_interrupt(card->dev);
		x.blocks = 1;
	}
	if (rpmb_device_run(card->dev, &x, 1) < 0) {
		res->status |= EMU_MMC_R1_ILLEGAL_COMMAND;
		return;
	}
	res->rpmb_request = x.write;
	res->rpmb_write = x.write && get_be16(x.in[0].req_resp) == RPMB_REQ_DATA_WRITE;
	if (!x.write)
		res->data_len = (uint32_t)x.blocks * RPMB_FRAME_SIZE;
}

int mmc_card_cmd(struct mmc_card *card, const struct emu_mmc_single *c, const uint8_t *data,
		 uint8_t *out, struct mmc_card_result *ret)
{
	struct mmc_card_result res = { 0 };
	int r = 0;

	if (c->part != EMU_MMC_PART_KEEP && c->part != mmc_card_part(card))
		res.lost |= do_switch(card, c->part);

	switch (c->opcode) {
	case MMC_SWITCH:
		cmd_switch(card, c->arg, &res);
		break;
	case MMC_SET_BLOCK_COUNT:
		card->have_sbc = true;
		card->sbc = c->arg;
		break;
	default: {
		/* Linux sends CMD23 itself before an RPMB ioctl's data command. */
		uint32_t sbc = card->have_sbc ? card->sbc : (c->blocks | (c->arg & MMC_CMD23_RELIABLE_WRITE));
		if (c->opcode == MMC_READ_SINGLE_BLOCK)
			sbc = 1;
		card->have_sbc = false;
		if (mmc_card_part(card) == EMU_MMC_PART_RPMB)
			rpmb_io(card, c, sbc, data, out, &res);
		else
			r = user_io(card, c, data, out, &res);
		break;
	}
	}
	*ret = res;
	return r;
}

bool mmc_seq_has_data_write(const uint8_t *payload, size_t len)
{
	struct rpmb_seq seq;
	g_autofree char *why = NULL;
	bool found = false;

	if (rpmb_seq_parse(payload, len, &seq, &why) < 0)
		return false;
	for (size_t i = 0; i < seq.n_xfers; i++)
		if (seq.xfers[i].write && get_be16(seq.xfers[i].in[0].req_resp) == RPMB_REQ_DATA_WRITE)
			found = true;
	rpmb_seq_clear(&seq);
	return found;
}
