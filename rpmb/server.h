/* SPDX-License-Identifier: MIT */
/*
 * The mmc socket: accepts clients on a listening SOCK_SEQPACKET socket and serves them from
 * the GLib main loop, one message at a time (which makes every sequence atomic with respect
 * to every other client: one host controller).  Each request is validated before it
 * touches the device and answered exactly once; bad input gets EMU_MSG_ERROR with a clear
 * text and one log line, and the server keeps serving everyone.
 */
#ifndef RPMBD_SERVER_H
#define RPMBD_SERVER_H

#include <glib.h>

#include "device.h"
#include "ipc.h"

struct rpmb_server;
typedef struct rpmb_server rpmb_server;

/* Serve `listen_fd` (taken over) on the thread-default main context.  dev is borrowed.
 * listen_fd -1: no listening socket (clients only through rpmb_server_adopt). */
__attribute__((warn_unused_result)) int rpmb_server_new(struct rpmb_device *dev, int listen_fd,
							struct rpmb_server **ret_server);
/* Close the listening socket and every client. */
void rpmb_server_free(struct rpmb_server *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(rpmb_server, rpmb_server_free)

/*
 * Serve EMU_MSG_MMC_CMD_REQ on `card` (borrowed; over the same device), which also sees
 * every sequence (the kernel's RPMB selection).  Without it single commands are refused.
 */
struct mmc_card;
void rpmb_server_set_card(struct rpmb_server *srv, struct mmc_card *card);

/*
 * For in-process drivers (tests/fuzz/fuzz_rpmbd_msg.c): take the connected `fd` over as a
 * client that no main loop watches, and feed it messages with rpmb_server_dispatch(): the
 * same per-message dispatch the socket's reader runs (single commands, sequences with the
 * partition switch and the queued commands, faults, info).  Replies go to the client's fd.
 * rpmb_server_dispatch returns 0, -ENOENT for an unknown (or dropped) client, or the -errno
 * for which the server dropped the client (closing fd).
 */
unsigned rpmb_server_adopt(struct rpmb_server *srv, int fd);
__attribute__((warn_unused_result)) int rpmb_server_dispatch(struct rpmb_server *srv,
							     unsigned client_id,
							     const struct emu_msg *msg);

/*
 * Answer one received message on fd (exactly one reply).  client_id only names the peer
 * in log lines.  0, or the -errno of sending the reply.
 */
__attribute__((warn_unused_result)) int rpmb_server_handle(struct rpmb_device *dev, int fd,
							   const struct emu_msg *msg,
							   unsigned client_id);

#endif
