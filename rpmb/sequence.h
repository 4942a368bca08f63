/* SPDX-License-Identifier: MIT */
/*
 * EMU_MSG_MMC_SEQ_REQ payload -> transfers for the device (include/emu_ipc.h, "mmc
 * socket").  Everything structural is checked here, before the device sees anything, so
 * that a malformed sequence is refused whole and has no effect:
 *   - 1..EMU_MMC_MAX_CMDS commands, reserved fields zero, no trailing bytes;
 *   - opcodes 23, 25, 18 only; CMD23 has blocks = 0, a count >= 1 and no argument bits
 *     besides the count (15:0) and reliable write (31);
 *   - every CMD25/CMD18 directly follows a CMD23 whose count equals its `blocks`, and every
 *     CMD23 is followed by one; CMD25 carries exactly blocks x 512 bytes;
 *   - the frames of all CMD18s fit one reply message.
 */
#ifndef RPMBD_SEQUENCE_H
#define RPMBD_SEQUENCE_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"

#define RPMBD_MAX_XFERS (EMU_MMC_MAX_CMDS / 2)

struct rpmb_seq {
	size_t n_xfers;
	struct rpmb_xfer xfers[RPMBD_MAX_XFERS]; /* `in` points into the parsed payload */
	size_t out_frames;                       /* frames of all CMD18s */
	struct rpmb_frame *out;                  /* their buffer, in order (owned) */
};

/*
 * Parse `payload` (which must outlive `ret_seq`).  0, or -EINVAL / -EMSGSIZE with a
 * one-line reason in ret_error (g_free).  Release with rpmb_seq_clear.
 */
__attribute__((warn_unused_result)) int rpmb_seq_parse(const uint8_t *payload, size_t len,
						       struct rpmb_seq *ret_seq, char **ret_error);
void rpmb_seq_clear(struct rpmb_seq *seq);

#endif
