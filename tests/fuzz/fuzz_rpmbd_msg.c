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
	int sp[2];

	if (peer_fd[i] >= 0)
		close(peer_fd[i]);
	fuzz_msgseq_pair(sp);
	peer_fd[i] = sp[0];
	client_id[i] = rpmb_server_adopt(srv, sp[1]);
}

static void teardown(void)
{
	g_clear_pointer(&srv, rpmb_server_free); /* closes the clients' ends */
	g_clear_pointer(&card, mmc_card_free);
	for (unsigned i = 0; i < PEERS; i++) {
		if (peer_fd[i] >= 0)
			close(peer_fd[i]);
		peer_fd[i] = -1;
	}
}

static void setup(bool keyed)
{
	static const uint8_t cid[16] = RPMB_EMU_DEFAULT_CID;
	g_autofree char *why = NULL;

	teardown();
	(void)fake_dev_info;   /* the memstore header's, for the unit tests */
	(void)fuzz_rpmbdev_get; /* the shared device of the other harnesses */
	rpmb_device_free(dev);
	g_free(store);
	store = g_new0(struct mem_store, 1);
	store->base.ops = &mem_ops;
	memcpy(store->meta.cid, cid, sizeof(cid));
	store->meta.size_mult = MEM_SIZE_MULT;
	store->meta.rel_wr_sec_c = 1;
	if (keyed) {
		memcpy(store->meta.key, FUZZ_RPMB_KEY, RPMB_KEY_SIZE);
		store->meta.key_set = true;
	}
	if (rpmb_device_new(&store->base, 0, &dev) < 0)
		abort();
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
	/* The fault table is rpmbd's (one per process): start every input with none. */
	struct emu_msg clear = { .hdr = { .type = EMU_MSG_CTRL_FAULT_CLEAR_REQ }, .fd = -1 };
	if (rpmb_server_dispatch(srv, client_id[0], &clear) < 0 ||
	    fuzz_msgseq_drain(peer_fd[0], "fuzz_rpmbd_msg") != 1)
		abort();
}

/* Would this message arm a fault that exits or sleeps? */
static bool process_fault(const struct emu_msg *msg)
{
	struct emu_ctrl_fault f;

	if (msg->hdr.type != EMU_MSG_CTRL_FAULT_REQ || msg->hdr.length != sizeof(f))
		return false;
	memcpy(&f, msg->payload, sizeof(f));
	return f.action == EMU_FAULT_POWER_CUT || f.action == EMU_FAULT_DELAY;
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
		if (process_fault(&rec.msg))
			continue;
		unsigned p = rec.peer % PEERS;
		int r = rpmb_server_dispatch(srv, client_id[p], &rec.msg);
		if (r == -ENOENT) {
			fprintf(stderr, "fuzz_rpmbd_msg: client %u unknown to the server\n", p);
			abort();
		}
		for (unsigned i = 0; i < PEERS; i++) {
			int n = fuzz_msgseq_drain(peer_fd[i], "fuzz_rpmbd_msg");
			if (i == p && r == 0 && n >= 0)
				fuzz_msgseq_expect("fuzz_rpmbd_msg", &rec.msg, n,
						   may_queue(&rec.msg) ? 0 : 1, 1);
			if (n < 0 || (i == p && r < 0))
				connect_peer(i); /* dropped: the peer connects again */
		}
	}
	return 0;
}
