/* SPDX-License-Identifier: MIT */
/*
 * fuzz_supp_msg: one input = a sequence of messages (tests/fuzz/fuzz_msgseq.h: u8 peer ‖
 * 16-byte header ‖ payload, repeated) to supplicantd's sockets, each handed to its real
 * dispatch: peer 0 is stmmd on the connection of a supplicant registered with
 * EMU_MSG_SUPP_REGISTER_REQ (legacy OPTEE_RPC_CMD_RPMB relayed by supplicant/rpmb.c),
 * peer 1 stmmd on the connection of one registered as the kernel's RPMB handler
 * (EMU_MSG_SUPP_REGISTER_RPMB_REQ: PROBE_RESET / PROBE_NEXT / FRAMES by supplicant/krpmb.c),
 * both through supp_handle (supplicant/supp.c); peer 2 a client of the control socket
 * through supp_control_handle (supplicant/control.c: EMU_MSG_CTRL_FAULT_*), whose faults
 * then fire on the RPCs of peers 0 and 1.  rpmbd is absent (its socket path does not exist):
 * the relay's request parsing runs and the device is unreachable, what fuzz_supp_rpc covers
 * with a device behind.  A supplicant a STALL fault stopped is replaced, as supplicantd
 * would be restarted.  The connections and the fault table start afresh for every input
 * (an input replays alone); state lives across its records.  Faults that exit (SUPP_EXIT) are not armed: their records are
 * skipped.  Every reply must be a well-formed message, and each message gets exactly one
 * (none for an EMU_MSG_ERROR, none for an RPC a DROP/STALL fault took); nothing may leak.
 */
#include "control.h"
#include "fuzz_msgseq.h"
#include "krpmb.h"
#include "rpmb.h"
#include "supp.h"

#define PEERS 3u
#define NO_RPMBD "/nonexistent/stmm-emu-fuzz/rpmb.sock"

static struct rpmb_mmc *mmc;
static struct krpmb *krpmb;
static struct supp *supp[2];
static int peer_fd[PEERS] = { -1, -1, -1 };
static int ctl_fd = -1; /* the control socket's end of peer 2 */

static void connect_peer(unsigned i)
{
	int fd = fuzz_msgseq_reconnect(&peer_fd[i]);

	if (i == 2) {
		if (ctl_fd >= 0)
			close(ctl_fd);
		ctl_fd = fd;
		return;
	}
	supp_free(supp[i]);
	supp[i] = supp_adopt(fd, i == 0 ? mmc : NULL, i == 1 ? krpmb : NULL);
}

static int dispatch(unsigned p, struct emu_msg *msg)
{
	return p == 2 ? supp_control_handle(ctl_fd, msg) : supp_handle(supp[p], msg);
}

static void setup(void)
{
	static char *const sockets[] = { NO_RPMBD, NULL };

	if (rpmb_mmc_new(NO_RPMBD, 1000, &mmc) < 0 || krpmb_new(sockets, 1000, &krpmb) < 0)
		abort();
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_record rec;
	size_t off = 0;

	fuzz_quiet();
	if (!mmc)
		setup();
	for (unsigned i = 0; i < PEERS; i++)
		connect_peer(i);
	fuzz_msgseq_clear_faults(dispatch, 2, peer_fd[2], "fuzz_supp_msg");
	while (fuzz_msgseq_next(data, size, &off, &rec)) {
		if (fuzz_msgseq_arms_fault(&rec.msg, EMU_FAULT_SUPP_EXIT, EMU_FAULT_SUPP_EXIT))
			continue;
		unsigned p = rec.peer % PEERS;
		int r = dispatch(p, &rec.msg);
		bool stalled = p < 2 && supp_stalled(supp[p]);
		int n = fuzz_msgseq_drain(peer_fd[p], "fuzz_supp_msg");
		/* One reply per message, except: an EMU_MSG_ERROR is never answered, and an RPC
		 * a DROP or STALL fault takes is not either. */
		if (r == 0 && n >= 0)
			fuzz_msgseq_expect("fuzz_supp_msg", &rec.msg, n,
					   p < 2 && (rec.msg.hdr.type == EMU_MSG_ERROR ||
						     rec.msg.hdr.type == EMU_MSG_SUPP_RPC_REQ) ? 0 : 1,
					   p < 2 && rec.msg.hdr.type == EMU_MSG_ERROR ? 0 : 1);
		if (n < 0 || r < 0 || stalled)
			connect_peer(p);
	}
	return 0;
}
