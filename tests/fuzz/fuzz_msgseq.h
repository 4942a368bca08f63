/* SPDX-License-Identifier: MIT */
/*
 * The input format of the dispatch harnesses (fuzz_rpmbd_msg, fuzz_stmmd_msg, fuzz_supp_msg):
 * a sequence of records, each
 *
 *   u8 peer ‖ struct emu_msg_hdr (16 bytes, include/emu_ipc.h) ‖ payload
 *
 * `peer` picks which connection of the daemon sends the message (the harness takes it
 * modulo its number of peers); the payload is hdr.length bytes, or what is left of the
 * input when that is less (then hdr.length is cut to match, as emu_ipc_recv only hands
 * over messages whose length matches).  Magic and version are not checked here: that is
 * emu_ipc_recv's job, fuzzed by fuzz_ipc; a record is what emu_ipc_recv delivers to a
 * daemon's dispatch.  State (sessions, faults, the device, queued commands) is kept across
 * the records of one input, and between inputs until the harness resets.
 *
 * The replies go to one end of a socketpair per peer; fuzz_msgseq_drain() reads them back
 * and checks each is a well-formed message (a reply the daemon built wrongly is a finding).
 */
#ifndef STMM_EMU_FUZZ_MSGSEQ_H
#define STMM_EMU_FUZZ_MSGSEQ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "ipc.h"

struct fuzz_record {
	uint8_t peer;
	struct emu_msg msg; /* payload points into the input; fd -1 */
};

/* The next record of data[*off..size), or false at the end. */
static inline bool fuzz_msgseq_next(const uint8_t *data, size_t size, size_t *off,
				    struct fuzz_record *ret)
{
	if (size - *off < 1 + sizeof(struct emu_msg_hdr))
		return false;
	ret->peer = data[*off];
	memcpy(&ret->msg.hdr, data + *off + 1, sizeof(ret->msg.hdr));
	*off += 1 + sizeof(struct emu_msg_hdr);
	size_t left = size - *off;
	if (ret->msg.hdr.length > left)
		ret->msg.hdr.length = (uint32_t)left;
	ret->msg.payload = ret->msg.hdr.length ? (uint8_t *)(data + *off) : NULL;
	ret->msg.fd = -1;
	*off += ret->msg.hdr.length;
	return true;
}

/* A connected pair: [0] the peer's end (the harness reads replies there), [1] the daemon's. */
static inline void fuzz_msgseq_pair(int sp[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0) {
		perror("fuzz: socketpair");
		abort();
	}
}

/* Read every queued reply on the peer's end; each must be a valid message.  Returns their
 * number, -1 when the daemon's end is closed. */
static inline int fuzz_msgseq_drain(int peer_fd, const char *who)
{
	int n = 0;

	for (;;) {
		g_autoptr(emu_msg) reply = NULL;
		int r = emu_ipc_recv(peer_fd, 0, &reply);
		if (r == -ETIMEDOUT || r == -EAGAIN)
			return n;
		if (r == -ECONNRESET)
			return -1;
		if (r < 0 || !reply) {
			fprintf(stderr, "%s: the daemon's reply is not a valid message (%d)\n", who, r);
			abort();
		}
		n++;
	}
}

/* A daemon answers each request exactly once: a count of replies outside [min, max] is a
 * finding (STYLE.md "Daemons": the loop replies exactly once). */
static inline void fuzz_msgseq_expect(const char *who, const struct emu_msg *msg, int got,
				      int min, int max)
{
	if (got >= min && got <= max)
		return;
	fprintf(stderr, "%s: message type 0x%04x (%u bytes) got %d replies, expected %d..%d\n",
		who, msg->hdr.type, msg->hdr.length, got, min, max);
	abort();
}

/* Replace the peer's connection: close its old end (if any), make a new pair, keep the
 * peer's end in *peer_fd and return the daemon's, for the harness to adopt. */
static inline int fuzz_msgseq_reconnect(int *peer_fd)
{
	int sp[2];

	if (*peer_fd >= 0)
		close(*peer_fd);
	fuzz_msgseq_pair(sp);
	*peer_fd = sp[0];
	return sp[1];
}

/* Close the peers' ends (after the daemon closed its own). */
static inline void fuzz_msgseq_close_peers(int *peer_fd, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (peer_fd[i] >= 0)
			close(peer_fd[i]);
		peer_fd[i] = -1;
	}
}

/* Does msg arm a fault whose action is `a` or `b` (those that end or stall the process,
 * which a harness skips)?  A malformed fault request is the daemon's to refuse: false. */
static inline bool fuzz_msgseq_arms_fault(const struct emu_msg *msg, uint16_t a, uint16_t b)
{
	struct emu_ctrl_fault f;

	if (msg->hdr.type != EMU_MSG_CTRL_FAULT_REQ || msg->hdr.length != sizeof(f))
		return false;
	memcpy(&f, msg->payload, sizeof(f));
	return f.action == a || f.action == b;
}

/* A daemon's dispatch of one message from peer `peer` (0, or a negative errno). */
typedef int (*fuzz_msgseq_dispatch_fn)(unsigned peer, struct emu_msg *msg);

/* The fault table is one per daemon process: start every input with none, through the
 * daemon's own EMU_MSG_CTRL_FAULT_CLEAR_REQ from `peer`, answered exactly once. */
static inline void fuzz_msgseq_clear_faults(fuzz_msgseq_dispatch_fn dispatch, unsigned peer,
					    int peer_fd, const char *who)
{
	struct emu_msg clear = { .hdr = { .type = EMU_MSG_CTRL_FAULT_CLEAR_REQ }, .fd = -1 };

	if (dispatch(peer, &clear) < 0 || fuzz_msgseq_drain(peer_fd, who) != 1)
		abort();
}

/* After peer p's message was dispatched with result r: drain every peer's replies, expect
 * `want` (0 or 1) on p's when r == 0, and reconnect a peer whose connection the daemon
 * closed (or p's, when the dispatch failed): the peer connects again. */
static inline void fuzz_msgseq_settle(int *peer_fd, unsigned n, unsigned p, int r,
				      const struct emu_msg *msg, int want,
				      void (*reconnect)(unsigned peer), const char *who)
{
	for (unsigned i = 0; i < n; i++) {
		int got = fuzz_msgseq_drain(peer_fd[i], who);
		if (i == p && r == 0 && got >= 0)
			fuzz_msgseq_expect(who, msg, got, want, 1);
		if (got < 0 || (i == p && r < 0))
			reconnect(i);
	}
}

#endif
