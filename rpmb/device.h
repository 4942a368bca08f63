/* SPDX-License-Identifier: MIT */
/*
 * The eMMC RPMB partition as JEDEC defines it (research/rpmb-and-supplicant.md §1.5, §1.6,
 * §5): one-time key, write counter, MACed responses, result codes in the JEDEC order of
 * checks, and the "last operation result" a RESULT_READ returns.  No sockets here: the
 * server hands in an already validated sequence of transfers; persistence goes through
 * the store's ops table.
 *
 * State carried between transfers (and between sequences, as on a real card):
 *   - the result of the last PROGRAM_KEY / DATA_WRITE (for RESULT_READ); any other request
 *     except RESULT_READ clears it;
 *   - the response prepared by the last CMD25 request for the next CMD18 (counter value,
 *     result read, or the address/nonce of a data read, which runs at CMD18 time because
 *     its length is the CMD18 count).  A CMD18 consumes it.
 *
 * Choices where the sources leave room (documented in README/--help as well):
 *   - PROGRAM_KEY and DATA_WRITE must be reliable writes (CMD23 bit 31) else
 *     GENERAL_FAILURE; the block_count field of key/counter/read/result-read request frames
 *     is ignored (hosts send 0), a data read's non-zero block_count must equal the CMD18
 *     count;
 *   - with the counter at 0xFFFFFFFF every result carries 0x80 and a data write answers
 *     WRITE_FAILURE | 0x80 (as QEMU does) — including the write that reached the maximum,
 *     whose result is OK | 0x80;
 *   - unknown request types (0, 6, 7, > 7) answer GENERAL_FAILURE both to a direct CMD18
 *     and to a RESULT_READ; a CMD18 with nothing prepared returns frames whose result is
 *     GENERAL_FAILURE and type 0;
 *   - result frames: key programming carries type, result and the counter, no MAC; data
 *     write carries type, result, counter, address and the MAC; counter and data read
 *     responses are MACed whenever a key is programmed.
 */
#ifndef RPMBD_DEVICE_H
#define RPMBD_DEVICE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_ipc.h"
#include "rpmb_frame.h"
#include "storage.h"

/*
 * Upper bound for the reliable write block count (--max-write-blocks): 256 frames keep a
 * whole write sequence (frames + result read) well inside one IPC message.
 */
#define RPMBD_WRITE_BLOCKS_LIMIT 256u
_Static_assert(RPMBD_WRITE_BLOCKS_LIMIT * RPMB_FRAME_SIZE + RPMB_FRAME_SIZE + 1024 <
		       EMU_MSG_MAX_PAYLOAD,
	       "largest write sequence fits one message");

/* One data transfer of a sequence: CMD23(blocks | reliable) then CMD25 or CMD18. */
struct rpmb_xfer {
	bool write;                   /* CMD25: `in` holds the frames; CMD18: fill `out` */
	bool reliable;                /* CMD23 bit 31 */
	uint16_t blocks;              /* CMD23 count = frames transferred, >= 1 */
	const struct rpmb_frame *in;  /* CMD25 */
	struct rpmb_frame *out;       /* CMD18 */
};

struct rpmb_device;
typedef struct rpmb_device rpmb_device;

/*
 * A device over `store` (borrowed; must outlive the device).  max_write_blocks 0 means
 * REL_WR_SEC_C * 2 (two 256-byte RPMB blocks per 512-byte sector), at least 1 and at most
 * RPMBD_WRITE_BLOCKS_LIMIT.  -EINVAL for a larger value, or a store error.
 */
__attribute__((warn_unused_result)) int rpmb_device_new(struct rpmb_store *store,
							unsigned max_write_blocks,
							struct rpmb_device **ret_dev);
void rpmb_device_free(struct rpmb_device *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpmb_device, rpmb_device_free)

void rpmb_device_get_info(const struct rpmb_device *dev, struct emu_mmc_info *ret_info);
unsigned rpmb_device_max_write_blocks(const struct rpmb_device *dev);
uint32_t rpmb_device_total_blocks(const struct rpmb_device *dev);
void rpmb_device_get_state(const struct rpmb_device *dev, bool *ret_key_set,
			   uint32_t *ret_counter);

/*
 * Run transfers in order.  Every outcome of the protocol is a result code inside the
 * response frames; this only fails (-errno, before touching any state) when a transfer
 * is malformed in a way the sequence parser should have caught.
 */
__attribute__((warn_unused_result)) int rpmb_device_run(struct rpmb_device *dev,
							struct rpmb_xfer *xfers, size_t n);

/*
 * Another command reached the card between an RPMB request (CMD25) and its response read
 * (CMD18): a partition switch or user-area access from another host client.  The prepared
 * response and the last operation result are lost, so the CMD18 that follows answers
 * GENERAL_FAILURE -- what hosts saw when tee-supplicant sent each command as its own
 * MMC_IOC_CMD (optee_client commit 5da4da9: "mix of RPMB and normal MMC commands can
 * result in GENERAL FAILURE").  True if a prepared response or a result was lost.
 */
bool rpmb_device_interrupt(struct rpmb_device *dev);

#endif
