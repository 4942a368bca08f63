/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ipc: one input = one datagram on an emulator IPC socket (16-byte struct
 * emu_msg_hdr then the payload, include/emu_ipc.h), as a peer sends it to rpmbd:
 * emu_ipc_recv's header validation (lib/ipc.c) on one end of a SOCK_SEQPACKET socketpair,
 * then rpmbd's message dispatch rpmb_server_handle (rpmb/server.c) over the device of
 * fuzz_rpmbdev.h, whose reply (or error) goes back into the pair; the reply is read and
 * validated as a client reads it, so it must be a well-formed message.  No daemon, no
 * listening socket.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_rpmbdev.h"
#include "ipc.h"
#include "server.h"

static int sp[2] = { -1, -1 }; /* [0] the peer, [1] rpmbd's end */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(emu_msg) msg = NULL;
	g_autoptr(emu_msg) reply = NULL;

	fuzz_quiet();
	struct rpmb_device *dev = fuzz_rpmbdev_get();
	if (sp[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		abort();
	static uint8_t junk[EMU_MSG_MAX_SIZE];
	while (recv(sp[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
		; /* nothing of an earlier input stays queued */
	if (size > EMU_MSG_MAX_SIZE)
		return 0; /* a SOCK_SEQPACKET peer cannot send more than the socket takes */
	if (send(sp[0], data, size, MSG_NOSIGNAL) != (ssize_t)size)
		return 0;
	int r = emu_ipc_recv(sp[1], 0, &msg);
	if (r < 0 || !msg)
		return 0; /* refused by the header check (or an empty datagram: a close) */
	if (rpmb_server_handle(dev, sp[1], msg, 1) < 0)
		return 0; /* the reply could not be sent: the server drops the client */
	if (emu_ipc_recv(sp[0], 0, &reply) < 0 || !reply) {
		fprintf(stderr, "fuzz_ipc: rpmbd's reply is not a valid message\n");
		abort();
	}
	if (reply->hdr.req_id != msg->hdr.req_id) {
		fprintf(stderr, "fuzz_ipc: reply to request %u carries id %u\n", msg->hdr.req_id,
			reply->hdr.req_id);
		abort();
	}
	return 0;
}
