/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rpmbd_msg: one input = a sequence of messages (tests/fuzz/fuzz_msgseq.h: u8 peer ‖
 * 16-byte header ‖ payload, repeated) from two clients of rpmbd's mmc socket, each handed
 * to rpmbd's real per-message dispatch, rpmb_server_dispatch (rpmb/server.c): MMC_INFO,
 * RPMB sequences with the kernel's partition switch around them, single commands
 * (EMU_MSG_MMC_CMD_REQ: CMD6 partition switch, CMD23, CMD17/18/24/25 on the user area
 * (rpmb/userarea.c, an in-memory SQLite database) and on RPMB, rpmb/partition.c), commands
 * queued to run after the other client's RPMB requests, and the run-time faults
 * (EMU_MSG_CTRL_FAULT_*, rpmb/fault_plan.c).  Device (rpmb/device.c over the in-memory
 * store of fuzz_rpmbdev.h), card, server, clients and faults are built afresh for every
 * input, so an input replays alone; state lives across its records.  Only the user area
 * (64 blocks in an in-memory SQLite database) is opened once: what earlier inputs wrote
 * there changes the data a read returns, never a decision.
 * The device starts with FUZZ_RPMB_KEY programmed when bit 7 of the first record's peer
 * byte is set (bit 0 picks the client, of two).
 * Faults that end or stall the process (POWER_CUT, DELAY) are not armed: their records
 * are skipped.  Every reply must be a well-formed message, and each message gets exactly
 * one on its connection (none yet for a queued command); nothing may leak.
 */
#include "fuzz_msgseq.h"
#include "fuzz_rpmbdev.h"
#include "fault_plan.h"
#include "partition.h"
#include "server.h"
#include "userarea.h"

#define PEERS 2u
#define USER_BLOCKS 64u

static struct mem_store *store;
static struct rpmb_device *dev;
static struct rpmb_userarea *ua;
static struct mmc_card *card;
static struct rpmb_server *srv;
static int peer_fd[PEERS] = { -1, -1 };
static unsigned client_id[PEERS];

static void connect_peer(unsigned i)
{
	client_id[i] = rpmb_server_adopt(srv, fuzz_msgseq_reconnect(&peer_fd[i]));
}

static int dispatch(unsigned p, struct emu_msg *msg)
{
	return rpmb_server_dispatch(srv, client_id[p], msg);
}

static void teardown(void)
{
	g_clear_pointer(&srv, rpmb_server_free); /* closes the clients' ends */
	g_clear_pointer(&card, mmc_card_free);
	fuzz_msgseq_close_peers(peer_fd, PEERS);
}

static void setup(bool keyed)
{
	g_autofree char *why = NULL;

	teardown();
	(void)fuzz_rpmbdev_get; /* the shared device of the other harnesses */
	fuzz_rpmbdev_renew(keyed, &store, &dev);
	if (!ua && rpmb_userarea_open(":memory:", USER_BLOCKS, &ua, &why) < 0) {
		fprintf(stderr, "fuzz_rpmbd_msg: user area: %s\n", why);
		abort();
	}
	card = mmc_card_new(dev, ua);
	if (rpmb_server_new(dev, -1, &srv) < 0)
		abort();
	rpmb_server_set_card(srv, card);
	rpmb_fault_set_store(&store->base);
	for (unsigned i = 0; i < PEERS; i++)
		connect_peer(i);
	fuzz_msgseq_clear_faults(dispatch, 0, peer_fd[0], "fuzz_rpmbd_msg");
}

/* A single command that may be held back (answered later, after its runs). */
static bool may_queue(const struct emu_msg *msg)
{
	struct emu_mmc_single c;

	if (msg->hdr.type != EMU_MSG_MMC_CMD_REQ || msg->hdr.length < sizeof(c))
		return false;
	memcpy(&c, msg->payload, sizeof(c));
	return c.flags & EMU_MMC_CMD_AFTER_RPMB_REQ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_record rec;
	size_t off = 0;

	fuzz_quiet();
	setup(size > 0 && (data[0] & 0x80));
	while (fuzz_msgseq_next(data, size, &off, &rec)) {
		/* Faults that exit or sleep are not armed. */
		if (fuzz_msgseq_arms_fault(&rec.msg, EMU_FAULT_POWER_CUT, EMU_FAULT_DELAY))
			continue;
		unsigned p = rec.peer % PEERS;
		int r = dispatch(p, &rec.msg);
		if (r == -ENOENT) {
			fprintf(stderr, "fuzz_rpmbd_msg: client %u unknown to the server\n", p);
			abort();
		}
		fuzz_msgseq_settle(peer_fd, PEERS, p, r, &rec.msg, may_queue(&rec.msg) ? 0 : 1,
				   connect_peer, "fuzz_rpmbd_msg");
	}
	return 0;
}
