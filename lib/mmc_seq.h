/* SPDX-License-Identifier: MIT */
/*
 * Building one EMU_MSG_MMC_SEQ_REQ payload and reading its EMU_MSG_MMC_SEQ_RSP (the mmc
 * socket, include/emu_ipc.h): the multi-command sequence a host sends to rpmbd, as Linux's
 * block driver puts each transfer on the bus: CMD23 (block count, bit 31 = reliable
 * write) then CMD25 with its 512-byte frames, or CMD18 whose frames come back in the reply.
 * No I/O, no checks of what is added: a fuzzer builds malformed sequences with it too.
 */
#ifndef STMM_EMU_LIB_MMC_SEQ_H
#define STMM_EMU_LIB_MMC_SEQ_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_ipc.h"
#include "rpmb_frame.h"

struct mmc_seq {
	GByteArray *buf;   /* struct emu_mmc_seq, then the commands and their data */
	uint32_t num_cmds; /* commands added so far */
};

/* Start an empty sequence (room for `size_hint` bytes, 0 for a default). */
void mmc_seq_init(struct mmc_seq *s, size_t size_hint);
/* Free what is left (after mmc_seq_finish: nothing).  Accepts a cleared sequence. */
void mmc_seq_clear(struct mmc_seq *s);

/* Append `cmd` as given, then data_len bytes of `data` (NULL: none). */
void mmc_seq_add(struct mmc_seq *s, const struct emu_mmc_cmd *cmd, const void *data,
		 size_t data_len);
/*
 * One transfer: CMD23(blocks | MMC_CMD23_RELIABLE_WRITE if reliable) then `opcode` with
 * `arg` and `blocks`; for MMC_WRITE_MULTIPLE_BLOCK, blocks x 512 bytes of `frames` follow.
 */
void mmc_seq_xfer(struct mmc_seq *s, uint32_t opcode, uint32_t arg, uint32_t blocks,
		  bool reliable, const void *frames);
/* CMD23(n [| reliable]) + CMD25 with n frames. */
void mmc_seq_write(struct mmc_seq *s, const void *frames, uint32_t n, bool reliable);
/* CMD23(n) + CMD18(n). */
void mmc_seq_read(struct mmc_seq *s, uint32_t n);

/*
 * Write the header (num_cmds = the commands added, reserved 0) and hand the payload over
 * (g_byte_array_unref); s is cleared.
 */
GByteArray *mmc_seq_finish(struct mmc_seq *s);

/*
 * The CMD18 data of an EMU_MSG_MMC_SEQ_RSP payload of `len` bytes, which must be exactly
 * want_len bytes (data_len and the payload agree).  *ret_data points into `payload`.
 * 0 or -EBADMSG.
 */
__attribute__((warn_unused_result)) int mmc_seq_rsp_data(const uint8_t *payload, size_t len,
							 size_t want_len,
							 const uint8_t **ret_data);

#endif
