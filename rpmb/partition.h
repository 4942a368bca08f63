/* SPDX-License-Identifier: MIT */
/*
 * The card behind the host controller: its partitions (user data area and RPMB), which one
 * is selected (EXT_CSD[179] PARTITION_CONFIG, access bits 2:0: 0 user area, 3 RPMB) and the
 * single commands of EMU_MSG_MMC_CMD_REQ (include/emu_ipc.h).  Facts reproduced:
 *   - CMD6 SWITCH argument (access << 24 | index << 16 | value << 8 | cmd set) and the
 *     partition access bits: JEDEC as restated in Linux include/linux/mmc/mmc.h
 *     (EXT_CSD_PART_CONFIG 179, EXT_CSD_PART_CONFIG_ACC_MASK 0x7, ..._ACC_RPMB 0x3) and
 *     mmc-utils write_extcsd_value();
 *   - the kernel selects the partition of the device node before each request
 *     (drivers/mmc/core/block.c mmc_blk_part_switch(): a CMD6 only when another one is
 *     selected) and, for an RPMB ioctl, sends CMD23 itself before CMD25/CMD18
 *     (__mmc_blk_ioctl_cmd(): mmc_set_blockcount(card, blocks, write_flag & (1 << 31)));
 *     current kernels switch back to the user area after every RPMB ioctl
 *     (mmc_blk_issue_drv_op(): "Always switch back to main area after RPMB access");
 *     single commands (EMU_MSG_MMC_CMD_REQ) model the kernels of tee-supplicant's
 *     one-MMC_IOC_CMD-per-command days, which left RPMB selected until the next block
 *     request switched (with a switch back after each ioctl, the switch itself would come
 *     between a CMD25 and its CMD18);
 *   - a command reaching the card between an RPMB request (CMD25) and its response read
 *     (CMD18) loses the prepared response: the read answers GENERAL_FAILURE (optee_client
 *     commit 5da4da9, rpmb_device_interrupt()).
 * Choices where the sources leave room: only EXT_CSD[179] can be written, with access
 * values 0 and 3 (others: SWITCH_ERROR, no change; boot/GP partitions are not modelled);
 * CMD17 while RPMB is selected (a host that forgot to switch back) reads one frame as a
 * CMD18 with nothing prepared would: result GENERAL_FAILURE, type 0, no data; CMD24 there
 * is ILLEGAL_COMMAND and writes nothing; on the user area a CMD23 count is taken but not
 * required; an access beyond the user area is OUT_OF_RANGE and transfers nothing (a read
 * returns zeros).
 */
#ifndef RPMBD_PARTITION_H
#define RPMBD_PARTITION_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "emu_ipc.h"
#include "userarea.h"

struct mmc_card;
typedef struct mmc_card mmc_card;

/* dev and ua are borrowed and must outlive the card.  Starts on the user area. */
struct mmc_card *mmc_card_new(struct rpmb_device *dev, struct rpmb_userarea *ua);
void mmc_card_free(struct mmc_card *card);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mmc_card, mmc_card_free)

/* EXT_CSD[179] access bits now selected. */
unsigned mmc_card_part(const struct mmc_card *card);

/*
 * Structural check of one command (before anything runs): opcode, blocks, part, flags,
 * reserved zero, data_len = the data a write carries.  0 or -EINVAL / -EMSGSIZE with a
 * one-line reason (g_free).
 */
__attribute__((warn_unused_result)) int mmc_card_check(const struct emu_mmc_single *c,
						       size_t data_len, char **ret_error);

struct mmc_card_result {
	uint32_t status;   /* EMU_MMC_R1_* */
	uint32_t data_len; /* bytes written to `out` */
	bool rpmb_request; /* an RPMB request (CMD25 on the RPMB partition) was taken */
	bool rpmb_write;   /* ... and it carried an authenticated data write */
	bool lost;         /* a prepared RPMB response (or result) was lost */
};

/*
 * Run one checked command: the kernel's partition switch for c->part first, then the
 * command.  `data` holds the blocks of a CMD24/CMD25; `out` room for c->blocks x 512
 * bytes of a CMD17/CMD18.  Outcomes are card statuses in ret; -errno only for a storage
 * failure of the user area (-EIO, then status is 0 and nothing is transferred).
 */
__attribute__((warn_unused_result)) int mmc_card_cmd(struct mmc_card *card,
						     const struct emu_mmc_single *c,
						     const uint8_t *data, uint8_t *out,
						     struct mmc_card_result *ret);

/*
 * The kernel's partition switch around an RPMB ioctl: select `part` (EMU_MMC_PART_USER or
 * _RPMB) unless it is selected already.  An EMU_MSG_MMC_SEQ_REQ (MMC_IOC_MULTI_CMD on
 * /dev/mmcblkNrpmb) runs between mmc_card_select(RPMB) and mmc_card_select(USER), as
 * Linux mmc_blk_issue_drv_op() does ("Always switch back to main area after RPMB
 * access").  True if that was a switch.
 */
bool mmc_card_select(struct mmc_card *card, unsigned part);

/* Whether an EMU_MSG_MMC_SEQ_REQ payload carries a DATA_WRITE request (false if malformed). */
bool mmc_seq_has_data_write(const uint8_t *payload, size_t len);

#endif
